#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# What an admin sees at 80 columns (cron logs) and at 120: every view in the module's *.Format.ps1xml files is
# rendered with objects the cmdlets return (doubles and fake hosts from tests/fixtures, the real tuned) or, where
# the cmdlet would change this host or needs hardware, objects with the figures those cmdlets report; live and
# Deserialized.* alike. A view whose type has no specimen here fails, so a new view cannot go untested.

BeforeDiscovery {
    $formats = Join-Path $PSScriptRoot '..' '..' 'src' 'OnloadTools' 'Formats'
    $script:Views = foreach ($file in Get-ChildItem -LiteralPath $formats -Filter '*.Format.ps1xml') {
        foreach ($view in ([xml](Get-Content -Raw -LiteralPath $file.FullName)).Configuration.ViewDefinitions.View) {
            $types = @($view.ViewSelectedBy.TypeName)
            @{
                View    = $view.Name
                Type    = @($types | Where-Object { $_ -notlike 'Deserialized.*' })[0]
                Types   = $types
                Control = if ($view.TableControl) { 'Table' } elseif ($view.ListControl) { 'List' } else { 'Other' }
                File    = $file.Name
            }
        }
    }
    $script:Renderings = foreach ($v in $Views) {
        # Wide views are the 120-column detail of a type whose default view fits 80 columns.
        foreach ($width in $(if ($v.View -eq 'Wide') { 120 } else { 80, 120 })) {
            foreach ($form in 'live', 'deserialized') { $v + @{ Width = $width; Form = $form } }
        }
    }
}

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:Fixtures = (Resolve-Path "$PSScriptRoot/../fixtures").Path
    $saved = @{}
    foreach ($n in 'PATH', 'ONLOADTOOLS_HOST_ROOT', 'ONLOADTOOLS_DOUBLE_STATE', 'ONLOADTOOLS_DOUBLE_SFUTILS_VERSION') {
        $saved[$n] = [Environment]::GetEnvironmentVariable($n)
    }
    $script:SavedEnvironment = $saved

    # Runs as Measure-SockperfLatency / Measure-NetperfLatency return them (figures of real loopback runs).
    function script:New-Run {
        param([string] $Label, [string] $Test, [string] $Tool, [double[]] $Means, [int] $Requested = $Means.Count,
            [string] $Status = 'Completed', [int] $Port = 12865)
        $start = [datetime]::new(2026, 11, 30, 2, 0, 0, [DateTimeKind]::Utc)
        $run = [OnloadTools.LatencyRun]::new()
        $run.Label = $Label; $run.TestName = $Test; $run.Tool = $Tool; $run.ComputerName = '127.0.0.1'; $run.Port = $Port
        $run.Status = $Status; $run.IterationsRequested = $Requested; $run.StartTime = $start; $run.HostName = 'lab1'
        $i = 0
        $run.Samples = [OnloadTools.LatencySample[]]@(foreach ($m in $Means) {
                $i++
                [OnloadTools.LatencySample]@{
                    TestName = $Test; Iteration = $i; Label = $Label; StartTime = $start.AddSeconds(10 * $i); EndTime = $start.AddSeconds(10 * $i + 10)
                    MeanLatency = $m; MinLatency = [math]::Round($m * 0.71, 3); P50Latency = [math]::Round($m * 0.96, 3)
                    P90Latency = [math]::Round($m * 1.2, 3); P99Latency = [math]::Round($m * 1.9, 3); MaxLatency = [math]::Round($m * 41.3, 3)
                    StdDevLatency = [math]::Round($m * 0.23, 3); TransactionRate = [math]::Round(1e6 / $m, 1); Observations = [long](1e7 / $m)
                }
            })
        $run.EndTime = $start.AddSeconds(10 * $i + 10)
        $run
    }

    function script:Use-RealHost {
        $env:PATH = $SavedEnvironment['PATH']
        $env:ONLOADTOOLS_HOST_ROOT = $null
    }

    function script:Use-Doubles([string] $Root) {
        $env:PATH = "$Fixtures/bin:$($SavedEnvironment['PATH'])"
        $env:ONLOADTOOLS_HOST_ROOT = $Root
        $env:ONLOADTOOLS_DOUBLE_STATE = (New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid().ToString('N')))).FullName
        $env:ONLOADTOOLS_DOUBLE_SFUTILS_VERSION = $null
    }

    $udp = New-Run -Label onload-sockperf-udp -Test UDP_PINGPONG -Tool sockperf -Means 2.412, 2.398, 2.405, 2.441, 2.419 -Port 11111
    $tcp = New-Run -Label onload-sockperf-udp -Test TCP_PINGPONG -Tool sockperf -Means 3.120, 3.155, 3.101 -Requested 5 -Status Partial -Port 11112
    $bareUdp = New-Run -Label bare-metal-kernel-stack -Test UDP_PINGPONG -Tool sockperf -Means 12.90, 13.05, 12.84, 12.99, 13.10 -Port 11111
    $bareTcp = New-Run -Label bare-metal-kernel-stack -Test TCP_PINGPONG -Tool sockperf -Means 14.2, 14.4, 14.1, 14.3, 14.25 -Port 11112
    $netperf = New-Run -Label container -Test TCP_RR -Tool netperf -Means 1210.44, 1188.1, 1234.9, 1199.7, 1221.3
    # Host facts that differ (a long command line change): -View Wide heads the group with them, wrapped within 120 columns.
    $bareUdp.HostFacts = [OnloadTools.HostFacts]@{ KernelRelease = '5.14.0-427.13.1.el9_4.x86_64'; TunedProfile = 'network-latency'
        KernelCommandLine = 'BOOT_IMAGE=(hd0,gpt2)/vmlinuz-5.14.0-427.13.1.el9_4.x86_64 root=/dev/mapper/rhel-root ro quiet' }
    $udp.HostFacts = [OnloadTools.HostFacts]@{ KernelRelease = '5.14.0-503.11.1.el9_5.x86_64'; TunedProfile = 'cpu-partitioning'
        KernelCommandLine = 'BOOT_IMAGE=(hd0,gpt2)/vmlinuz-5.14.0-503.11.1.el9_5.x86_64 root=/dev/mapper/rhel-root ro quiet skew_tick=1 nohz=on nohz_full=10-15,26-31 rcu_nocbs=10-15,26-31 tuned.non_isolcpus=03ff03ff intel_pstate=disable nosoftlockup' }
    $comparisons = @(Compare-LatencyRun -ReferenceRun $bareUdp, $bareTcp -DifferenceRun $udp, $tcp)
    $slower = @(Compare-LatencyRun -ReferenceRun $udp -DifferenceRun $bareUdp)
    # What Invoke-LatencyComparison says of the processes: Onload mapped on one side, lost on the other.
    $comparisons | ForEach-Object { $_.DifferenceAccelerated = 'True' }
    $slower | ForEach-Object { $_.ReferenceAccelerated = 'True'; $_.DifferenceAccelerated = 'False' }

    # The figures of the verdict table as the module shows them (µs; thousands of trans/s as k), from the objects.
    function script:Format-Figure([double] $Value, [bool] $Rate) {
        if ($Rate) { if ($Value -ge 10000) { '{0:N1}k' -f ($Value / 1000) } else { '{0:N0}' -f $Value } }
        elseif ([math]::Abs($Value) -ge 1000) { '{0:N0}' -f $Value } elseif ([math]::Abs($Value) -ge 100) { '{0:N1}' -f $Value } else { '{0:N2}' -f $Value }
    }
    function script:Format-Percent([double] $Value) {
        if ([math]::Abs($Value) -ge 10000) { '{0:+0;-0}k' -f ($Value / 1000) } elseif ([math]::Abs($Value) -ge 100) { '{0:+0;-0;0}' -f $Value } else { '{0:+0.0;-0.0;0.0}' -f $Value }
    }

    # Per type: how to get realistic objects, the column headers that must survive at 80 columns, and the values
    # (computed from the objects, so they cannot drift) that must appear whole.
    $script:Specimens = @{
        'OnloadTools.LatencyRun'               = @{
            Objects = { $udp; $tcp; $bareUdp; $netperf }
            Columns = 'Test', 'Iter', 'Min(us)', 'Mean(us)', 'P99(us)', 'Jitter(us)', 'Spread(us)', 'Status'
            Values  = { param($o) $o.Label; $o.TestName; $o.Status; '{0}/{1}' -f $o.IterationsCompleted, $o.IterationsRequested
                '{0:N2}' -f $o.MeanLatency; '{0:N2}' -f $o.P99Latency; '{0:N2}' -f $o.JitterLatency; '{0:N2}' -f $o.IterationSpreadLatency }
            WideColumns = 'Label', 'Trans/s', 'Server'
        }
        'OnloadTools.LatencySample'            = @{
            Objects = { $udp.Samples; $netperf.Samples }
            Columns = 'Test', '#', 'Min(us)', 'Mean(us)', 'P99(us)', 'Max(us)', 'Jitter(us)', 'Trans/s'
            Values  = { param($o) $o.TestName; '{0:N2}' -f $o.MeanLatency; '{0:N2}' -f $o.MaxLatency; '{0:N2}' -f $o.StdDevLatency; '{0:N0}' -f $o.TransactionRate }
            WideColumns = 'P50(us)', 'P90(us)', 'Start'
        }
        'OnloadTools.LatencyComparison'        = @{
            Objects = { $comparisons; $slower }
            Columns = 'Test', 'Metric', 'Ref→Diff(µs)', 'Δ%', 'CI%', 'Verdict', 'Onload', 'Iter'
            Values  = { param($o) $o.TestName; $(if ($o.IsRegression) { 'REGRESSION' } else { $o.Verdict })
                '{0} vs {1}, 95 % CI' -f $o.DifferenceLabel, $o.ReferenceLabel
                '{0}/{1}' -f $o.ReferenceCount, $o.DifferenceCount; Format-Percent $o.DeltaPercent
                # The µs figures (both views show latencies below 100 µs alike; rates differ: k here, in full in Wide).
                if ($o.Metric -ne 'TransactionRate') { Format-Figure $o.ReferenceValue $false; Format-Figure $o.DifferenceValue $false }
                if ($null -ne $o.ConfidenceIntervalLow) { '{0}..{1}' -f (Format-Percent $o.ConfidenceIntervalLow), (Format-Percent $o.ConfidenceIntervalHigh) } else { 'unbounded' } }
            WideColumns = 'Metric', 'Reference', 'Difference', 'Delta', 'p', 'Verdict', 'Onload'
        }
        'OnloadTools.SfcAdapter'               = @{
            Objects = { Use-Doubles (Join-Path $Fixtures 'hosts/sfc-dual-port'); Get-SfcAdapter }
            Columns = 'Interface', 'PFs', 'SwitchMode', 'FirmwareVariant', 'Firmware', 'Update'
            Values  = { param($o) $o.InterfaceName; $o.SwitchMode; $o.FirmwareVariant; $o.BundleVersion }
            WideColumns = 'Driver', 'Bus'
        }
        'OnloadTools.SfcPartitioningResult'    = @{
            Objects = { Use-Doubles (Join-Path $Fixtures 'hosts/sfc-dual-port')
                Set-SfcPartitioning -InterfaceName p1p1 -PfCount 2 -SwitchMode Partitioning -FirmwareVariant FullFeature -Confirm:$false -WarningAction SilentlyContinue }
            Columns = 'InterfaceName', 'Changed', 'ColdRebootRequired', 'Changes', 'CommandLine'
            Values  = { param($o) $o.InterfaceName; $o.Changes }
        }
        'OnloadTools.SfcFirmwareUpdate'        = @{
            Objects = { Use-Doubles (Join-Path $Fixtures 'hosts/sfc-dual-port'); Update-SfcFirmware -Confirm:$false }
            Columns = 'Interface', 'Updated', 'Seconds', 'Firmware'
            Values  = { param($o) $o.InterfaceName; $o.BundleVersionBefore; $o.BundleVersionAfter }
        }
        'OnloadTools.SfcInterface'             = @{
            Objects = { Use-Doubles (Join-Path $Fixtures 'hosts/sfc-dual-port'); Get-SfcInterface }
            Columns = 'Name', 'Port', 'PortFunctions', 'Link', 'NUMA', 'LocalCpus', 'MAC'
            Values  = { param($o) $o.Name; $o.PortFunctions -join ','; $o.LocalCpuList; $o.MacAddress }
            WideColumns = 'Mb/s', 'IPv4'
        }
        'OnloadTools.OnloadInfo'               = @{
            Objects = { Use-Doubles (Join-Path $Fixtures 'hosts/sfc-dual-port'); Get-OnloadInfo }
            Columns = 'ComputerName', 'Installed', 'Version', 'Ready', 'Profiles'
            Values  = { param($o) $o.Version; $o.Profiles }
        }
        'OnloadTools.OnloadPackage'            = @{
            # New-OnloadPackage runs rpmbuild for minutes: the packages it reports for OpenOnload 8.1.2.26.
            Objects = {
                foreach ($p in @(('onload', 'x86_64', 'Binary'), ('onload-devel', 'x86_64', 'Binary'), ('onload', 'src', 'Source'))) {
                    $file = '{0}-8.1.2.26-1.el9.{1}.rpm' -f $p[0], $p[1]
                    [OnloadTools.OnloadPackage]@{ Name = $p[0]; Version = '8.1.2.26'; Release = '1.el9'; Architecture = $p[1]; Kind = $p[2]
                        FileName = $file; Path = "/root/rpmbuild/RPMS/$($p[1])/$file"; Length = 4812345 }
                }
            }
            Columns = 'Name', 'Version', 'Release', 'Arch', 'Kind', 'Path'
            Values  = { param($o) $o.Name; $o.Version; $o.Release; $o.Architecture; $o.Kind }
        }
        'OnloadTools.TunedProfile'             = @{
            Objects = { Use-RealHost; Get-TunedProfile }
            Columns = 'Name', 'Active', 'Recommended', 'Location', 'Summary'
            Values  = { param($o) $o.Name }
        }
        'OnloadTools.TunedProfileSetting'      = @{
            Objects = { Use-RealHost; Get-TunedProfile network-latency -Effective }
            Columns = 'Plugin', 'Name', 'Value', 'DefinedIn'
            Values  = { param($o) "Profile: $($o.Profile)"; $o.Plugin; $o.Name; $o.DefinedIn }
        }
        'OnloadTools.TunedSettingChange'       = @{
            # Invoke-TunedProfile switches the live daemon (Tuning.Tests.ps1): what it reports for network-latency.
            Objects = { $script:TunedChange.Settings }
            Columns = 'Plugin', 'Name', 'Before', 'After', 'Expected', 'Changed'
            Values  = { param($o) $o.Plugin; $o.Name; $o.Before; $o.After }
        }
        'OnloadTools.TunedProfileChange'       = @{
            Objects = { $script:TunedChange }
            Columns = 'PreviousProfile', 'NewProfile', 'CommandLine', 'ChangedCount', 'Changed', 'RebootRequired', 'Verified'
            Values  = { param($o) $o.PreviousProfile; $o.NewProfile; $o.CommandLine; 'net.core.busy_read: 0 -> 50' }
        }
        'OnloadTools.TunedVerifyItem'          = @{
            Objects = { $script:Verification.Differences }
            Columns = 'Status', 'Name', 'Device', 'Actual', 'Expected'
            Values  = { param($o) $o.Status; $o.Name; $o.Actual; $o.Expected }
        }
        'OnloadTools.TunedProfileVerification' = @{
            Objects = { $script:Verification }
            Columns = 'Profile', 'Verified', 'PassedCount', 'Differences', 'CommandLine'
            Values  = { param($o) $o.Profile; $o.CommandLine }
        }
        'OnloadTools.KernelBootArgument'       = @{
            Objects = { Use-Doubles (Join-Path $Fixtures 'hosts/two-socket-sfc-node1'); Get-KernelBootArgument -Pending }
            Columns = 'Name', 'Running', 'NextBoot', 'Pending', 'Value'
            Values  = { param($o) $o.Name; $o.Pending }
        }
        'OnloadTools.KernelBootArgumentChange' = @{
            Objects = { Use-Doubles (Join-Path $Fixtures 'hosts/two-socket-sfc-node1')
                Set-KernelBootArgument -Add 'isolcpus=8-15', 'nohz_full=8-15' -Confirm:$false -WarningAction SilentlyContinue }
            Columns = 'CommandLine', 'Added', 'Removed', 'DefaultKernel', 'RebootRequired'
            Values  = { param($o) $o.Added; $o.DefaultKernel }
        }
        'OnloadTools.NicCpuAffinity'           = @{
            Objects = { Use-Doubles (Join-Path $Fixtures 'hosts/two-socket-sfc-node1'); Get-NicCpuAffinity }
            Columns = 'Interface', 'Driver', 'Node', 'LocalCpus', 'IsolatedLocal', 'Netperf'
            Values  = { param($o) $o.InterfaceName; $o.LocalCpuList; $o.NetperfCpuArgument }
        }
        'OnloadTools.OnloadHostCheck'          = @{
            Objects = { Use-Doubles (Join-Path $Fixtures 'hosts/two-socket-sfc-node1'); Test-OnloadHost -InterfaceName p1p1 }
            Columns = 'Status', 'Name', 'Found', 'Expected'
            Values  = { param($o) $o.Status; "Category: $($o.Category)"; $o.Name }
        }
        'OnloadTools.HostJitterResult'         = @{
            # What Measure-HostJitter reports (figures of oslat/cyclictest runs recorded in tests/fixtures/rt-tests).
            Objects = {
                [OnloadTools.HostJitterResult]@{ RunId = '5b2cf5add144'; HostName = 'lab1'; Tool = 'oslat'; ToolVersion = '2.40'; Cpu = 10
                    MinimumMicroseconds = 1; AverageMicroseconds = 1.004146; MaximumMicroseconds = 52901; P99Microseconds = 1; P999Microseconds = 1
                    P9999Microseconds = 10; Samples = 113905214; Overflows = 397; HistogramLimitMicroseconds = 32; ThresholdMicroseconds = 20
                    Verdict = 'Exceeded'; DurationSeconds = 3.049; Priority = 1; CommandLine = 'oslat --cpu-list=10,26 --duration=3 --rtprio=1 --quiet' }
                [OnloadTools.HostJitterResult]@{ RunId = '5b2cf5add144'; HostName = 'lab1'; Tool = 'cyclictest'; ToolVersion = '2.40'; Cpu = 126
                    MinimumMicroseconds = 14; AverageMicroseconds = 64.44; MaximumMicroseconds = 3246; Samples = 1984; Overflows = 161
                    HistogramLimitMicroseconds = 99; ThresholdMicroseconds = 20; Verdict = 'Exceeded'; DurationSeconds = 2 }
                [OnloadTools.HostJitterResult]@{ RunId = '5b2cf5add144'; HostName = 'lab1'; Tool = 'oslat'; Cpu = 27
                    MinimumMicroseconds = 1; AverageMicroseconds = 1; MaximumMicroseconds = 6; P9999Microseconds = 4; ThresholdMicroseconds = 20; Verdict = 'Passed'; DurationSeconds = 43200 }
            }
            Columns = 'Tool', 'CPU', 'Min µs', 'Avg µs', 'P99.99 µs', 'Max µs', 'Limit µs', 'Verdict'
            Values  = { param($o) $o.Tool; $o.Verdict; '{0:0.##}' -f $o.MaximumMicroseconds; if ($o.Cpu -eq 126) { '>99' } }
        }
        'OnloadTools.HostJitterRun'            = @{
            Objects = {
                [OnloadTools.HostJitterRun]@{ RunId = '5b2cf5add144'; HostName = 'rhel9-cpupart.example'; Tool = 'oslat'; ToolVersion = '2.40'
                    Cpus = '10-15,26-31'; DurationSeconds = 43200; ThresholdMicroseconds = 20; MaximumMicroseconds = 17; Verdict = 'Passed' }
                [OnloadTools.HostJitterRun]@{ RunId = '77aa01be9c3d'; HostName = 'lab1'; Tool = 'cyclictest'; Cpus = '0,1'
                    DurationSeconds = 2; ThresholdMicroseconds = 20; MaximumMicroseconds = 3774; Verdict = 'Exceeded' }
            }
            Columns = 'Tool', 'CPUs', 'Secs', 'Max µs', 'Limit µs', 'Verdict', 'Host'
            Values  = { param($o) $o.Tool; $o.Cpus; $o.Verdict; $o.HostName }
        }
        'OnloadTools.HostJitterComparison'     = @{
            # What Compare-HostJitterRun returns for nights of oslat (figures of runs recorded in tests/fixtures/rt-tests).
            Objects = {
                [OnloadTools.HostJitterComparison]@{ Cpu = 10; Tool = 'oslat'; HostName = 'lab1'; ReferenceRuns = 1; DifferenceRuns = 1
                    ReferenceMaximumMicroseconds = 12; DifferenceMaximumMicroseconds = 52901; MaximumChangeMicroseconds = 52889
                    ReferenceTailMicroseconds = 2; DifferenceTailMicroseconds = 10; TailChangeMicroseconds = 8; ThresholdMicroseconds = 20
                    ResolutionMicroseconds = 1; AllowanceMicroseconds = 2; IsExceeded = $true; IsRegression = $true; RegressedMetrics = 'Maximum, P99.99'
                    Verdict = 'Exceeded'; Basis = 'Rule, not a test' }
                [OnloadTools.HostJitterComparison]@{ Cpu = 127; Tool = 'oslat'; HostName = 'lab1'; ReferenceRuns = 7; DifferenceRuns = 7
                    ReferenceMaximumMicroseconds = 6; DifferenceMaximumMicroseconds = 14; MaximumChangeMicroseconds = 8
                    ReferenceTailMicroseconds = 1; DifferenceTailMicroseconds = 1; TailChangeMicroseconds = 0; ThresholdMicroseconds = 20
                    ResolutionMicroseconds = 1; AllowanceMicroseconds = 2; PValue = 0.000291; ConfidenceLevel = 0.95; IsRegression = $true
                    RegressedMetrics = 'Maximum'; Verdict = 'Regressed'; Basis = 'Test: medians of 7 and 7 runs'' maxima' }
                [OnloadTools.HostJitterComparison]@{ Cpu = 3; Tool = 'oslat'; HostName = 'lab1'; DifferenceRuns = 1
                    DifferenceMaximumMicroseconds = 9; ThresholdMicroseconds = 20; ResolutionMicroseconds = 1; Verdict = 'Passed'
                    Basis = 'CPU 3 is not in the reference runs: only the threshold gate decides.' }
            }
            Columns = 'CPU', 'Ref max', 'Max µs', 'Δ µs', 'Ref P99.99', 'P99.99', 'Limit', 'Verdict', 'p'
            Values  = { param($o) $o.Verdict; '{0:0.##}' -f $o.DifferenceMaximumMicroseconds; if ($null -ne $o.PValue) { '<0.001' } else { 'rule' } }
        }
        'OnloadTools.OnloadImage'              = @{
            # What Get-OnloadImage reads from podman image inspect (tests/fixtures/containers).
            Objects = {
                [OnloadTools.OnloadImage]@{ Name = 'localhost/onload-netperf:8.1.2.26'; Tags = @('localhost/onload-netperf:8.1.2.26')
                    Id = 'sha256:4f2a9c1d0b7e65a3c8f9e0d1b2a3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5' -replace '^sha256:', ''
                    OnloadVersion = '8.1.2.26'; HostOnloadVersion = '8.1.2.26'; OnloadVersionMatchesHost = $true; Size = 412345678
                    Created = [datetime]::new(2026, 11, 29, 18, 4, 0, [DateTimeKind]::Utc); Engine = 'podman'; BaseImage = 'registry.access.redhat.com/ubi9/ubi'
                    Command = 'onload --profile=latency netserver -D'; Packages = @('onload-8.1.2.26-1.el9.x86_64.rpm') }
                [OnloadTools.OnloadImage]@{ Name = 'localhost/onload-sockperf:7.1.3.202'; Id = '9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c'
                    OnloadVersion = '7.1.3.202'; HostOnloadVersion = '8.1.2.26'; OnloadVersionMatchesHost = $false; Size = 398000000
                    Created = [datetime]::new(2026, 10, 2, 9, 30, 0, [DateTimeKind]::Utc); Engine = 'podman' }
            }
            Columns = 'Name', 'Id', 'Onload', 'Match', 'Size(MB)'
            Values  = { param($o) $o.Name; $o.OnloadVersion; $o.Id.Substring(0, 12); if ($o.OnloadVersionMatchesHost) { 'yes' } else { 'NO' } }
            ListItems  = 'Name', 'Id', 'Created', 'Size', 'OnloadVersion', 'HostOnloadVersion', 'OnloadVersionMatchesHost', 'Command', 'Packages'
            ListValues = { param($o) $o.Name; $o.OnloadVersion; $o.Id.Substring(0, 12); $o.Command; $o.Packages }
            WideColumns = 'Host', 'Created', 'Engine'
        }
        'OnloadTools.OnloadImageBuildPlan'     = @{
            Objects = {
                $env:PATH = "$Fixtures/bin-docker:$Fixtures/containers/host-bin:$($SavedEnvironment['PATH'])"
                $env:ONLOADTOOLS_DOUBLE_STATE = (New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid().ToString('N')))).FullName
                $deb = Join-Path $TestDrive 'onload_8.1.2.26-1_amd64.deb'
                Set-Content -LiteralPath $deb -Value 'not a real package'
                [pscustomobject]@{ Path = $deb } | New-OnloadImage -Tag localhost/onload-netperf:8.1.2.26 -BaseImage ubi9 -Engine docker -Command netserver, -D -WhatIf
            }
            Columns = 'Tag', 'BaseImage', 'OnloadVersion', 'Packages', 'BuildCommandLine'
            Values  = { param($o) $o.Tag; $o.BaseImage }
        }
        'OnloadTools.OnloadContainer'          = @{
            # What Get-OnloadContainer reads from podman inspect of a running Onload container.
            Objects = {
                [OnloadTools.OnloadContainer]@{ Name = 'netperf1'; Id = '5e3c1a9b7d2f4e6a8c0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c'; State = 'running'
                    Image = 'localhost/onload-netperf:8.1.2.26'; OnloadVersion = '8.1.2.26'; NetworkMode = 'host'
                    Devices = @('/dev/onload', '/dev/onload_epoll', '/dev/onload_cplane'); Privileged = $false; Engine = 'podman' }
                [OnloadTools.OnloadContainer]@{ Name = 'sockperf-server'; Id = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2'; State = 'exited'
                    Image = 'localhost/onload-sockperf:7.1.3.202'; OnloadVersion = '7.1.3.202'; NetworkMode = 'host'; Privileged = $true; Engine = 'podman' }
            }
            Columns = 'Name', 'State', 'Image', 'Onload', 'Net'
            Values  = { param($o) $o.Name; $o.State; $o.Image; $o.OnloadVersion }
            WideColumns = 'Id', 'Devices', 'Flags'
        }
    }

    $script:TunedChange = [OnloadTools.TunedProfileChange]@{
        PreviousProfile = 'throughput-performance'; NewProfile = 'network-latency'; CommandLine = 'tuned-adm profile network-latency'
        RebootRequired = $true; Verified = $true; MissingBootArguments = @('skew_tick=1'); Time = [datetime]::UtcNow
        Settings = [OnloadTools.TunedSettingChange[]]@(
            [OnloadTools.TunedSettingChange]@{ Plugin = 'sysctl'; Name = 'net.core.busy_read'; Path = '/proc/sys/net/core/busy_read'; Expected = '50'; Before = '0'; After = '50'; Changed = $true }
            [OnloadTools.TunedSettingChange]@{ Plugin = 'sysctl'; Name = 'kernel.numa_balancing'; Path = '/proc/sys/kernel/numa_balancing'; Expected = '0'; Before = '1'; After = '0'; Changed = $true }
            [OnloadTools.TunedSettingChange]@{ Plugin = 'vm'; Name = 'transparent_hugepages'; Path = '/sys/kernel/mm/transparent_hugepage/enabled'; Expected = 'never'; Before = 'always'; After = 'never'; Changed = $true }
            [OnloadTools.TunedSettingChange]@{ Plugin = 'sysctl'; Name = 'vm.dirty_ratio'; Expected = '10'; Before = '10'; After = '10'; Changed = $false })
    }
    $script:TunedChange.ChangedCount = @($script:TunedChange.Settings | Where-Object Changed).Count
    # Test-TunedProfile's answer when a sysctl drifted (tuned-adm verify's wording in reference/tool-output).
    $script:Verification = [OnloadTools.TunedProfileVerification]@{
        Profile = 'network-latency'; Verified = $false; PassedCount = 41; CommandLine = 'tuned-adm verify'
        Differences = [OnloadTools.TunedVerifyItem[]]@(
            [OnloadTools.TunedVerifyItem]@{ Status = 'Failed'; Name = 'net.core.busy_read'; Actual = '0'; Expected = '50'; Message = "sysctl option net.core.busy_read: '0' != '50'" }
            [OnloadTools.TunedVerifyItem]@{ Status = 'Failed'; Name = 'governor'; Device = 'cpu3'; Actual = 'powersave'; Expected = 'performance'; Message = "governor for cpu3: 'powersave' != 'performance'" })
    }

    # Each type's objects are made once, so a rendering and the values checked in it come from the same objects.
    $script:SpecimenCache = @{}
    function script:Get-Specimen([string] $Type) {
        if ($SpecimenCache.ContainsKey($Type)) { return $SpecimenCache[$Type] }
        $spec = $Specimens[$Type]
        $objects = @(& $spec.Objects)
        $SpecimenCache[$Type] = $objects
        $objects.Count | Should -BeGreaterThan 0 -Because "the specimen of $Type must produce objects"
        $objects | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be $Type }
        $objects
    }

    function script:Show-View($Objects, [string] $View, [string] $Control, [int] $Width) {
        if ($Control -eq 'List') { $Objects | Format-List -View $View | Out-String -Width $Width }
        else { $Objects | Format-Table -View $View | Out-String -Width $Width }
    }
}

AfterAll {
    foreach ($k in $SavedEnvironment.Keys) { [Environment]::SetEnvironmentVariable($k, $SavedEnvironment[$k]) }
}

Describe 'The views of <Type>' -ForEach @($Views | Group-Object { $_.Type } | ForEach-Object { @{ Type = $_.Name; Names = @($_.Group.View) } }) {
    It 'has a specimen in this file, so every view is rendered below' {
        $Specimens.Keys | Should -Contain $Type
    }

    It 'are chosen for live and Deserialized objects alike' {
        foreach ($v in $Views | Where-Object { $_.Type -eq $Type }) { $v.Types | Should -Contain "Deserialized.$Type" }
    }
}

Describe 'View <View> of <Type> at <Width> columns (<Form>)' -ForEach $Renderings {
    BeforeAll {
        $objects = Get-Specimen $Type
        if ($Form -eq 'deserialized') {
            $objects = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($objects, 3))
            $objects | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be "Deserialized.$Type" }
        }
        $text = Show-View $objects $View $Control $Width
        $lines = @($text -split "`r?`n")
        $spec = $Specimens[$Type]
    }

    It 'fits the width' {
        $Control | Should -BeIn 'Table', 'List'
        $lines | Where-Object { $_.Length -gt $Width } | Should -BeNullOrEmpty
    }

    It 'keeps its key columns' {
        $columns = if ($Control -eq 'List') { $spec.ListItems } elseif ($View -eq 'Wide') { $spec.WideColumns } else { $spec.Columns }
        if ($Control -eq 'List' -and -not $spec.ListItems) { $columns = $spec.Columns }
        @($columns).Count | Should -BeGreaterThan 0
        foreach ($c in $columns) {
            if ($Control -eq 'Table') {
                # The header line holds every label, separated by blanks; a column squeezed for width breaks its label.
                $lines | Where-Object { $_ -match "(^|\s)$([regex]::Escape($c))(\s|$)" } | Should -Not -BeNullOrEmpty -Because "column $c must survive at $Width"
            }
            else {
                $lines | Where-Object { $_ -match "^$([regex]::Escape($c))\s*:" } | Should -Not -BeNullOrEmpty -Because "item $c must be listed"
            }
        }
    }

    It 'shows the key values whole, never cut with …' {
        foreach ($o in @(Get-Specimen $Type)) {
            $values = if ($Control -eq 'List' -and $spec.ListValues) { $spec.ListValues } else { $spec.Values }
            foreach ($value in @(& $values $o | Where-Object { "$_" })) {
                $text | Should -Match ([regex]::Escape("$value")) -Because "'$value' must appear whole at $Width columns"
            }
        }
        if ($Control -eq 'Table') { $text | Should -Not -Match '…' }
    }
}

Describe 'Default views in the pipelines admins write' {
    It 'Measure-style run tables name the label once and every test in full at 80 columns' {
        $text = $udp, $tcp | Out-String -Width 80
        $text | Should -Match 'Label: onload-sockperf-udp'
        $text | Should -Match 'UDP_PINGPONG'
        $text | Should -Match 'TCP_PINGPONG'
        $text | Should -Match 'Partial'
        $text | Should -Not -Match 'StdDev'
    }

    It 'says with the label whether netperf really had Onload (Accelerated) at 80 columns' {
        $lost = New-Run -Label onload-container -Test TCP_RR -Tool netperf -Means 21.2, 21.4, 21.1
        $lost.Accelerated = 'False'
        $kept = New-Run -Label onload-host -Test TCP_RR -Tool netperf -Means 11.2, 11.4, 11.1
        $kept.Accelerated = 'True'
        $text = $lost, $kept, $udp | Out-String -Width 80
        $text | Should -Match 'Label: onload-container \(Onload asked for: NOT accelerated\)'
        $text | Should -Match 'Label: onload-host \(Onload: accelerated\)'
        $text | Should -Match 'Label: onload-sockperf-udp\r?\n'
        $remoted = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($lost, 3))
        $remoted | Out-String -Width 80 | Should -Match 'NOT accelerated'
    }

    It 'names the two standard deviations of a run apart, and the old names still work' {
        $udp.JitterLatency | Should -Be ([Linq.Enumerable]::Average([double[]]@($udp.Samples.StdDevLatency)))
        $means = [double[]]@($udp.Samples.MeanLatency)
        $avg = [Linq.Enumerable]::Average($means)
        $sd = [math]::Sqrt((($means | ForEach-Object { ($_ - $avg) * ($_ - $avg) }) | Measure-Object -Sum).Sum / ($means.Count - 1))
        $udp.IterationSpreadLatency | Should -BeGreaterThan ($sd - 1e-9)
        $udp.IterationSpreadLatency | Should -BeLessThan ($sd + 1e-9)
        $udp.StdDevLatency | Should -Be $udp.IterationSpreadLatency
        $udp.MeanStdDevLatency | Should -Be $udp.JitterLatency
        $bag = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($udp))
        $bag.JitterLatency | Should -Be $udp.JitterLatency
        $bag.StdDevLatency | Should -Be $udp.IterationSpreadLatency
    }

    It 'Compare-LatencyRun shows what was compared and the verdict in one row per metric at 80 columns' {
        $text = $slower | Out-String -Width 80
        $text | Should -Match 'Compared: bare-metal-kernel-stack vs onload-sockperf-udp, 95 % CI\r?\n'
        $mean = $slower | Where-Object Metric -eq 'Mean'
        $mean.IsRegression | Should -BeTrue
        # reference → difference in µs, Δ %, the interval, REGRESSION in place of Slower, Onload lost, iterations.
        $row = '^UDP_PINGPONG\s+Mean\s+{0} → {1}\s+{2}\s+{3}\.\.{4}\s+REGRESSION\s+yes/NO\s+{5}/{6}$' -f
            (Format-Figure $mean.ReferenceValue $false), (Format-Figure $mean.DifferenceValue $false), [regex]::Escape((Format-Percent $mean.DeltaPercent)),
            [regex]::Escape((Format-Percent $mean.ConfidenceIntervalLow)), [regex]::Escape((Format-Percent $mean.ConfidenceIntervalHigh)), $mean.ReferenceCount, $mean.DifferenceCount
        @($text -split '\r?\n' | Where-Object { $_ -match $row }) | Should -HaveCount 1 -Because $text
        $rate = $slower | Where-Object Metric -eq 'TransactionRate'
        $text | Should -Match ('Rate/s\s+{0} ?→ ?{1}' -f [regex]::Escape((Format-Figure $rate.ReferenceValue $true)), [regex]::Escape((Format-Figure $rate.DifferenceValue $true)))
    }

    It 'shows an experiment of two tests as one verdict table of at most 20 lines at 80 columns (the README''s examples: 40)' {
        $tcpA = New-Run -Label bare-metal -Test TCP_RR -Tool netperf -Means 20.1, 20.3, 19.9, 20.2, 20.0, 20.15, 20.05
        $tcpB = New-Run -Label onload-container -Test TCP_RR -Tool netperf -Means 11.1, 11.3, 10.9, 11.2, 11.0
        $udpA = New-Run -Label bare-metal -Test UDP_RR -Tool netperf -Means 18.1, 18.3, 17.9, 18.2, 18.0
        $udpB = New-Run -Label onload-container -Test UDP_RR -Tool netperf -Means 9.8, 10.1, 9.9, 10.0, 9.95
        $verdicts = @(Compare-LatencyRun -ReferenceRun $tcpA, $udpA -DifferenceRun $tcpB, $udpB)
        $verdicts | Should -HaveCount 12
        $lines = @(($verdicts | Out-String -Width 80).TrimEnd() -split '\r?\n')
        $lines.Count | Should -BeLessOrEqual 20 -Because ($lines -join "`n")
        $lines | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
        @($lines | Where-Object { $_ -match 'Compared: ' }) | Should -HaveCount 1 -Because 'one comparison set is one table'
        @($lines | Where-Object { $_ -match '^(TCP|UDP)_RR\s' }) | Should -HaveCount 12
        # Remoted (Invoke-Command) or re-imported comparisons look the same.
        $bags = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($verdicts, 3))
        ($bags | Out-String -Width 80).TrimEnd() | Should -Be ($lines -join [Environment]::NewLine)
    }

    It 'differs at 120 columns with -View Wide: the values in full, the absolute difference and p' {
        $narrow = $slower | Out-String -Width 120
        $wide = $slower | Format-Table -View Wide | Out-String -Width 120
        $wide | Should -Not -Be $narrow
        $mean = $slower | Where-Object Metric -eq 'Mean'
        $wide | Should -Match ('UDP_PINGPONG\s+Mean\s+{0}\s+{1}\s+{2}\s' -f [regex]::Escape(('{0:N2}' -f $mean.ReferenceValue)), [regex]::Escape(('{0:N2}' -f $mean.DifferenceValue)), [regex]::Escape(('{0:+#,0.00;-#,0.00;0}' -f $mean.Delta)))
        $wide | Should -Match '<0\.001'
    }

    It 'shows a comparison from an older module (no Onload or precision properties) with those cells blank' {
        # A property bag as Import-Clixml gives back a comparison exported before these properties existed.
        $old = [pscustomobject]@{}
        foreach ($p in $comparisons[0].PSObject.Properties) {
            if ($p.Name -notin 'ReferenceAccelerated', 'DifferenceAccelerated', 'PrecisionPercent') { $old | Add-Member -NotePropertyName $p.Name -NotePropertyValue $p.Value }
        }
        $old.PSObject.TypeNames.Insert(0, 'Deserialized.OnloadTools.LatencyComparison')
        $old.PSObject.Properties['DifferenceAccelerated'] | Should -BeNullOrEmpty
        $text = $old | Out-String -Width 80
        $text | Should -Match ('{0}\s+Mean\s+\S+ → \S+\s+\S+\s+\S+\s+{1}\s+{2}/{3}' -f $old.TestName, $old.Verdict, $old.ReferenceCount, $old.DifferenceCount)
        $text | Should -Not -Match 'yes|NO'
    }

    It 'Export-LatencyReport -PassThru returns the file with its mode, owner and size' {
        $path = Join-Path $TestDrive 'latency.html'
        $file = $udp, $bareUdp | Export-LatencyReport -Path $path -ReferenceLabel bare-metal-kernel-stack -PassThru
        $file | Should -BeOfType System.IO.FileInfo
        $file.PSParentPath | Should -Not -BeNullOrEmpty
        $text = $file | Out-String -Width 80
        $row = @($text -split "`n" | Where-Object { $_ -match 'latency\.html' })
        $row.Count | Should -Be 1
        $row[0] | Should -Match ('^-rw\S+\s+{0}\s+\S+\s+.+\s{1}\s+latency\.html' -f [regex]::Escape($file.User), $file.Length)
        $text | Should -Match ([regex]::Escape("Directory: $TestDrive"))
    }
}
