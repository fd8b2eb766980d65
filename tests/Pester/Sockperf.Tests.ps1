#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Measure-SockperfLatency with the real sockperf. (sockperf's output, full log and command lines are tested in xunit:
# Latency/SockperfParserTests.cs, SockperfFullLogTests.cs, SockperfSessionTests.cs.)

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:Fixtures = Join-Path $PSScriptRoot '../fixtures'
    $script:OldPath = $env:PATH

    function script:Get-FreePort {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p
    }
    # sockperf processes whose parent is this pwsh (the cmdlet starts them directly).
    function script:Get-OurSockperf {
        Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | ForEach-Object {
            $stat = try { Get-Content -Raw -LiteralPath "$($_.FullName)/stat" -ErrorAction Stop } catch { $null }
            # Descendants of this pwsh: the process gate starts sockperf under its launcher (timeout), a grandchild.
            if ($stat -and $stat -match '^\d+ \(sockperf\) (\S) ' -and $Matches[1] -ne 'Z') {
                $p = [int]$_.Name
                for ($depth = 0; $depth -lt 4 -and $p -gt 1; $depth++) {
                    $s = try { Get-Content -Raw -LiteralPath "/proc/$p/stat" -ErrorAction Stop } catch { '' }
                    $p = if ($s -match '\) \S (\d+) ') { [int]$Matches[1] } else { 0 }
                    if ($p -eq $PID) { [int]$_.Name; break }
                }
            }
        }
    }
}

Describe 'Latency (sockperf)' {
    AfterEach {
        $env:PATH = $script:OldPath
        Remove-Item Env:ONLOADTOOLS_DOUBLE_STATE -ErrorAction Ignore
    }

    Describe 'Measure-SockperfLatency' {
        It 'measures UDP and TCP against private servers when called alone, and stops them' {
            $runs = Measure-SockperfLatency -Protocol Udp, Tcp -Iterations 2 -Duration 1 -Label lo -ErrorVariable errs
            $errs | Should -BeNullOrEmpty
            $runs | ForEach-Object { $_.Samples.Count } | Should -Be @(2, 2)
            $runs.TestName | Should -Be @('UDP_PINGPONG', 'TCP_PINGPONG')
            foreach ($run in $runs) {
                $run.PSObject.TypeNames[0] | Should -Be 'OnloadTools.LatencyRun'
                $run.Tool | Should -Be 'sockperf'
                $run.Label | Should -Be 'lo'
                $run.Status | Should -Be 'Completed'
                $run.LatencyKind | Should -Be 'OneWay'
                $run.ToolVersion | Should -BeLike '3.*'
                $run.ServerCommandLine | Should -BeLike "sockperf server -i 127.0.0.1 -p $($run.Port)*"
                $run.ServerCommandLine.Contains('--tcp') | Should -Be ($run.TestName -eq 'TCP_PINGPONG')
                foreach ($s in $run.Samples) {
                    $s.LatencyKind | Should -Be 'OneWay'
                    $s.CommandLine | Should -BeLike '*sockperf ping-pong -i 127.0.0.1*'
                    $s.CommandLine.Contains('--tcp') | Should -Be ($run.TestName -eq 'TCP_PINGPONG')
                    $s.MinLatency | Should -BeGreaterThan 0
                    $s.MinLatency | Should -BeLessOrEqual $s.P50Latency
                    $s.P50Latency | Should -BeLessOrEqual $s.P99Latency
                    $s.P99Latency | Should -BeLessOrEqual $s.P99999Latency
                    $s.P99999Latency | Should -BeLessOrEqual $s.MaxLatency
                    $s.Observations | Should -BeGreaterThan 0
                    $s.TransactionRate | Should -BeGreaterThan 0
                }
            }
            # Measured, not invented: two real iterations differ (one figure alone, printed to 3 decimals, can coincide).
            $a, $b = $runs[0].Samples[0], $runs[0].Samples[1]
            "$($a.MeanLatency) $($a.MaxLatency) $($a.Observations) $($a.StdDevLatency)" | Should -Not -Be "$($b.MeanLatency) $($b.MaxLatency) $($b.Observations) $($b.StdDevLatency)"
            Get-OurSockperf | Should -BeNullOrEmpty
        }

        It 'reports progress with the seconds remaining' {
            $ps = [PowerShell]::Create()
            try {
                $null = $ps.AddScript("Import-Module '$script:Manifest'; Measure-SockperfLatency -Protocol Udp -Iterations 1 -Duration 1").Invoke()
                $ps.Streams.Error | Should -BeNullOrEmpty
                @($ps.Streams.Progress | Where-Object SecondsRemaining -gt 0).Count | Should -BeGreaterThan 0
            }
            finally { $ps.Dispose() }
        }

        It 'reads every round trip with -FullDistribution and leaves no log file' {
            $run = Measure-SockperfLatency -Protocol Tcp -Iterations 1 -Duration 1 -FullDistribution -RoundTrip -ErrorVariable errs -WarningVariable w
            $errs | Should -BeNullOrEmpty
            $w | Where-Object { $_.Message -like '*full log*' } | Should -BeNullOrEmpty   # the log and the summary agree on the count
            $run.Samples | Should -HaveCount 1
            $s = $run.Samples[0]
            $run.LatencyKind | Should -Be 'RoundTrip'
            $s.LatencyKind | Should -Be 'RoundTrip'
            $s.CommandLine | Should -BeLike '*--full-rtt --full-log *'
            $s.Observations | Should -BeGreaterThan 1000
            # the documented ladder (Measure-SockperfLatency -FullDistribution): min, p1 … p99.9999, max
            $s.DistributionPercentiles | Should -Be @(0, 1, 5, 10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 95, 97.5, 99, 99.5, 99.75, 99.9, 99.95, 99.99, 99.995, 99.999, 99.9995, 99.9999, 100)
            $s.DistributionLatencies.Count | Should -Be $s.DistributionPercentiles.Count
            $s.DistributionLatencies[0] | Should -Be $s.MinLatency
            $s.DistributionLatencies[-1] | Should -Be $s.MaxLatency
            for ($i = 1; $i -lt $s.DistributionLatencies.Count; $i++) { $s.DistributionLatencies[$i] | Should -BeGreaterOrEqual $s.DistributionLatencies[$i - 1] }
            Get-OurSockperf | Should -BeNullOrEmpty
            # The log this run wrote is gone (other sockperf runs on the machine may have theirs in the same folder).
            $log = [regex]::Match($s.CommandLine, '--full-log (\S+)').Groups[1].Value
            $log | Should -BeLike "$([IO.Path]::GetTempPath().TrimEnd('/'))/onloadtools-sockperf-*.csv"
            Test-Path $log | Should -BeFalse
        }

        It 'kills sockperf at once on Stop and keeps completed iterations in -HistoryPath' {
            $dir = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
            $ps = [PowerShell]::Create()
            try {
                $null = $ps.AddScript("Import-Module '$script:Manifest'; Measure-SockperfLatency -Protocol Udp -Iterations 5 -Duration 2 -HistoryPath '$dir'")
                $null = $ps.BeginInvoke()
                $deadline = (Get-Date).AddSeconds(30)
                while ((Get-Date) -lt $deadline -and -not (Test-Path "$dir/*.json")) { Start-Sleep -Milliseconds 100 }
                Test-Path "$dir/*.json" | Should -BeTrue
                Start-Sleep -Milliseconds 700
                Get-OurSockperf | Should -Not -BeNullOrEmpty   # client and server are running now
                $sw = [Diagnostics.Stopwatch]::StartNew()
                $ps.Stop()
                $sw.Elapsed.TotalSeconds | Should -BeLessThan 5
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'
                Get-OurSockperf | Should -BeNullOrEmpty
                $files = Get-ChildItem $dir -Filter *.json
                $files | Should -HaveCount 1
                Get-ChildItem $dir -Filter *.tmp | Should -BeNullOrEmpty
                $doc = Get-Content -Raw $files[0].FullName | ConvertFrom-Json
                $doc.run.status | Should -Be 'Stopped'
                $doc.run.tool | Should -Be 'sockperf'
                $saved = Import-LatencyRun $files[0].FullName
                $saved.TestName | Should -Be 'UDP_PINGPONG'
                $saved.Samples.Count | Should -BeGreaterOrEqual 1
                $saved.Samples.Count | Should -BeLessOrEqual 4
                $saved.Samples | ForEach-Object { $_.Observations | Should -BeGreaterThan 0 }
            }
            finally {
                $ps.Dispose()
                Remove-Item -Recurse -Force $dir -ErrorAction Ignore
            }
        }

        It 'uses a server already listening on -Port and resolves a host name' {
            $port = Get-FreePort
            $server = Start-Process sockperf -ArgumentList 'server', '-i', '127.0.0.1', '-p', $port, '--tcp' -PassThru -RedirectStandardOutput /dev/null
            try {
                Start-Sleep -Milliseconds 500
                $run = Measure-SockperfLatency -ComputerName localhost -Protocol Tcp -Port $port -Iterations 1 -Duration 1 -Mps 5000 -MessageSize 64 -ErrorVariable errs
                $errs | Should -BeNullOrEmpty
                $run.ServerCommandLine | Should -BeNullOrEmpty   # nothing private was started
                $run.RequestSize | Should -Be 64
                # 5000 messages per second for ~0.55 s of valid duration
                $run.Samples[0].Observations | Should -BeGreaterOrEqual 1000
                $run.Samples[0].Observations | Should -BeLessOrEqual 4000
                $run.ComputerName | Should -Be 'localhost'
                $run.Port | Should -Be $port
                $run.Samples[0].CommandLine | Should -BeLike "sockperf ping-pong -i 127.0.0.1 -p $port -t 1 -m 64 --mps=5000 --tcp"
            }
            finally { $server | Stop-Process -Force }
        }

        It 'reports a refused port once, as ConnectionError with sockperf''s words' {
            $port = Get-FreePort
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $out = Measure-SockperfLatency -ComputerName 127.0.0.1 -Port $port -Protocol Tcp -Iterations 3 -Duration 1 -ErrorVariable errs -ErrorAction SilentlyContinue
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 10
            $out | Should -BeNullOrEmpty
            $errs | Should -HaveCount 1   # the other iterations are not tried against a refused port
            $errs[0].FullyQualifiedErrorId | Should -Be 'SockperfServerUnreachable,OnloadTools.Commands.MeasureSockperfLatencyCommand'
            $errs[0].CategoryInfo.Category | Should -Be 'ConnectionError'
            $errs[0].TargetObject | Should -Be "127.0.0.1:$port"
            $errs[0].Exception.Message | Should -BeLike '*Connection refused*'
        }

        It 'reports a name that does not resolve as ComputerNameNotResolved, as Measure-NetperfLatency does, and measures the next name' {
            $out = 'no-such-host.invalid', '127.0.0.1' | Measure-SockperfLatency -Port (Get-FreePort) -Protocol Tcp -Iterations 1 -Duration 1 -ErrorVariable errs -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $errs | Should -HaveCount 2   # the name, then the refused port of the next one: the name did not end the command
            $errs[0].FullyQualifiedErrorId | Should -Be 'ComputerNameNotResolved,OnloadTools.Commands.MeasureSockperfLatencyCommand'
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errs[0].TargetObject | Should -Be 'no-such-host.invalid'
            $errs[0].ErrorDetails.RecommendedAction | Should -BeLike '*getent hosts*'
            $errs[1].FullyQualifiedErrorId | Should -BeLike 'SockperfServerUnreachable,*'
        }

        It 'says NotInstalled with the package when sockperf is missing' {
            $env:PATH = '/nonexistent-bin'
            $err = { Measure-SockperfLatency -Iterations 1 -Duration 1 -ErrorAction Stop } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'SockperfNotInstalled,*'
            $err.CategoryInfo.Category | Should -Be 'NotInstalled'
            $err.Exception.Message | Should -BeLike '*dnf install sockperf*'
        }

        It 'keeps the other iterations when one fails' {
            $env:ONLOADTOOLS_DOUBLE_STATE = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
            $env:PATH = "$script:Fixtures/bin-sockperf-flaky:$script:OldPath"
            $run = Measure-SockperfLatency -Protocol Udp -Iterations 3 -Duration 1 -ErrorVariable errs -ErrorAction SilentlyContinue
            $run.Samples.Iteration | Should -Be @(1, 3)
            $run.IterationsFailed | Should -Be 1
            $run.Status | Should -Be 'Partial'
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'SockperfFailed,*'
            $errs[0].CategoryInfo.Category | Should -Be 'InvalidResult'
            $errs[0].Exception.Message | Should -BeLike '*Connection reset by peer*'
            $errs[0].TargetObject | Should -BeLike '*Starting test*'   # the raw text, colours stripped
            $errs[0].TargetObject.Contains([char]0x1B) | Should -BeFalse
            Get-OurSockperf | Should -BeNullOrEmpty
        }

        It 'reads sockperf 3.10''s longer average line, and warns naming the version when a field is absent' {
            $env:PATH = "$script:Fixtures/bin-sockperf-310:$script:OldPath"
            try {
                $run = Measure-SockperfLatency -Protocol Udp -Iterations 1 -Duration 1 -WarningVariable w -WarningAction SilentlyContinue
                $run.Samples[0].StdDevLatency | Should -Not -BeNullOrEmpty
                @($w | Where-Object { "$_" -like '*printed no*' }) | Should -HaveCount 0
                $env:ONLOADTOOLS_DOUBLE_SOCKPERF_DROP = 'std-dev'
                $run = Measure-SockperfLatency -Protocol Udp -Iterations 1 -Duration 1 -WarningVariable w -WarningAction SilentlyContinue
                $run.Samples[0].MeanLatency | Should -Not -BeNullOrEmpty
                $run.Samples[0].StdDevLatency | Should -BeNullOrEmpty
                $about = @($w | Where-Object { "$_" -like '*printed no*' })
                $about | Should -HaveCount 1
                "$($about[0])" | Should -BeLike '*sockperf 3.10-no.git printed no std-dev in its avg-latency line (StdDevLatency)*'
            }
            finally { Remove-Item Env:ONLOADTOOLS_DOUBLE_SOCKPERF_DROP -ErrorAction Ignore }
        }

        It 'reports unparsable output as InvalidResult with the raw text' {
            $env:PATH = "$script:Fixtures/bin-sockperf-garbage:$script:OldPath"
            $out = Measure-SockperfLatency -Protocol Tcp -Iterations 2 -Duration 1 -ErrorVariable errs -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $errs | Should -HaveCount 2
            $errs | ForEach-Object {
                $_.FullyQualifiedErrorId | Should -BeLike 'SockperfOutputUnparsable,*'
                $_.CategoryInfo.Category | Should -Be 'InvalidResult'
                $_.TargetObject | Should -BeLike '*this is not a sockperf result*'
            }
            Get-OurSockperf | Should -BeNullOrEmpty
        }

        It 'runs client and private server under onload with -Onload and records the version' {
            $env:ONLOADTOOLS_DOUBLE_STATE = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
            $env:ONLOADTOOLS_DOUBLE_ONLOAD_VERSION = '9.0.1.86'
            $env:PATH = "$script:Fixtures/bin:$script:OldPath"
            try {
                $run = Measure-SockperfLatency -Protocol Tcp -Iterations 1 -Duration 1 -Onload -OnloadProfile latency-best -ErrorVariable errs
                $errs | Should -BeNullOrEmpty
                $run.Onload | Should -BeTrue
                $run.Label | Should -Be 'onload'
                $run.OnloadProfile | Should -Be 'latency-best'
                $run.Samples[0].Observations | Should -BeGreaterThan 0
                Get-OurSockperf | Should -BeNullOrEmpty
                $run.OnloadVersion | Should -Be '9.0.1.86'
                $run.ServerCommandLine | Should -BeLike 'onload --profile=latency-best sockperf server -i 127.0.0.1 -p *'
                $run.Samples[0].CommandLine | Should -BeLike 'onload --profile=latency-best sockperf ping-pong -i 127.0.0.1 *'
            }
            finally { Remove-Item Env:ONLOADTOOLS_DOUBLE_ONLOAD_VERSION -ErrorAction Ignore }
        }

        It 'rejects an unknown protocol, rate or message size before running anything' {
            { Measure-SockperfLatency -Protocol Sctp -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,OnloadTools.Commands.MeasureSockperfLatencyCommand'
            { Measure-SockperfLatency -Mps fast -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,OnloadTools.Commands.MeasureSockperfLatencyCommand'
            { Measure-SockperfLatency -MessageSize 8 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,OnloadTools.Commands.MeasureSockperfLatencyCommand'
        }
    }
}
