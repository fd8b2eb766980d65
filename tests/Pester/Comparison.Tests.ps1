#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Invoke-LatencyComparison with the real netperf on loopback: two -Arm scriptblock arms, the fixed protocol, the
# interleaved order, "was it really accelerated?" with a stand-in libonload.so preloaded by the onload double (it
# opens /dev/onload when there is one: tests/Pester/OnloadStandIn.ps1), Ctrl+C, and (tag Podman) the real container arm. The domain (order, stopping rule, error rates) is in
# tests/OnloadTools.Tests/Latency/SequentialTests.cs.

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:Fixtures = (Resolve-Path "$PSScriptRoot/../fixtures").Path
    $script:OldPath = $env:PATH
    $script:Work = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-comparison-$([guid]::NewGuid().ToString('N'))")).FullName
    # A stand-in of Onload's library: the onload double puts it in LD_PRELOAD, so it is mapped in netperf like the real
    # one, and it holds /dev/onload open (a "stack") when the host it sees has the device. DeviceRoot: a host root for
    # the module that is this host with Onload's device nodes (null devices) in its /dev.
    . "$PSScriptRoot/OnloadStandIn.ps1"
    $script:StubLibrary = New-StandInLibOnload $Work
    $script:DeviceRoot = New-HostRootWithOnloadDevice $Work
    $script:SavedRoot = $env:ONLOADTOOLS_HOST_ROOT

    # netperf/netserver processes that are children of this pwsh (the cmdlet starts them directly).
    function script:Get-OurProcess([string] $Name) {
        Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | ForEach-Object {
            $stat = try { Get-Content -Raw -LiteralPath "$($_.FullName)/stat" -ErrorAction Stop } catch { $null }
            if ($stat -and $stat -match "^\d+ \($Name\) (\S) (\d+) " -and $Matches[1] -ne 'Z' -and [int]$Matches[2] -eq $PID) { [int]$_.Name }
        }
    }
}

AfterAll {
    $env:PATH = $script:OldPath
    $env:ONLOADTOOLS_HOST_ROOT = $script:SavedRoot
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Invoke-LatencyComparison on loopback' {
    BeforeEach {
        $env:PATH = "$Fixtures/bin:$script:OldPath"
        $env:ONLOADTOOLS_DOUBLE_LIBONLOAD = $null
        $env:ONLOADTOOLS_HOST_ROOT = $null
    }
    AfterEach {
        $env:PATH = $script:OldPath
        $env:ONLOADTOOLS_DOUBLE_LIBONLOAD = $null
        $env:ONLOADTOOLS_HOST_ROOT = $script:SavedRoot
    }

    It 'interleaves two scriptblock arms A B B A, prepares each at every switch, and returns runs and comparisons' {
        $log = Join-Path $Work 'prepare.log'
        $prepare = { Add-Content -Path $log -Value $args[0] }.GetNewClosure()
        $arms = @{ Label = 'first'; Prepare = $prepare }, @{ Label = 'second'; Prepare = $prepare }
        $out = Invoke-LatencyComparison -Arm $arms -TestName TCP_RR -Duration 1 -MaxIterations 4 -PassThru
        $runs = @($out | Where-Object { $_ -is [OnloadTools.LatencyRun] })
        $comparisons = @($out | Where-Object { $_ -is [OnloadTools.LatencyComparison] })
        $runs.Label | Should -Be @('first', 'second')
        $runs.Arm | Should -Be @('A', 'B')
        $runs[0].ExperimentId | Should -Be $runs[1].ExperimentId
        $order = $runs[0].ExperimentOrder
        $order | Should -BeIn @('ABBAAB', 'ABBAABBA')   # decided at the first look (3 each) or the last (4 each)
        foreach ($run in $runs) {
            $run.Status | Should -Be 'Completed'
            $run.Accelerated | Should -BeNullOrEmpty      # Onload was not asked for
            foreach ($s in $run.Samples) { $order[$s.Sequence - 1] | Should -Be $run.Arm }
            $run.IterationsCompleted | Should -Be ($order.Length / 2)
        }
        # Prepare ran at each switch to its arm: A, B, A, B (…)
        $expected = ($order -replace 'AA', 'A' -replace 'BB', 'B').ToCharArray() | ForEach-Object { if ($_ -eq 'A') { 'first' } else { 'second' } }
        Get-Content $log | Should -Be $expected
        $mean = $comparisons | Where-Object Metric -eq Mean
        $mean.ReferenceLabel | Should -Be 'first'
        $mean.DifferenceLabel | Should -Be 'second'
        $mean.Verdict | Should -BeIn @('Equivalent', 'Slower', 'Faster', 'Inconclusive')
        $mean.Notes | Should -Match 'Adaptive: look \d of at most 2'
        $mean.ConfidenceLevel | Should -BeGreaterThan 0.95   # a repeated interval, wider than the nominal one
        Get-OurProcess netserver | Should -BeNullOrEmpty
    }

    It 'runs the fixed protocol with -Iterations, one look at the calibrated level' {
        $out = Invoke-LatencyComparison -Arm @{ Label = 'a' }, @{ Label = 'b' } -Iterations 2 -Duration 1 -PassThru -ReportPath (Join-Path $Work 'fixed.html')
        $runs = @($out | Where-Object { $_ -is [OnloadTools.LatencyRun] })
        $runs | Should -HaveCount 4
        $runs | ForEach-Object { $_.IterationsCompleted | Should -Be 2; $_.ExperimentOrder | Should -Be 'ABBA' }
        $mean = $out | Where-Object { $_ -is [OnloadTools.LatencyComparison] -and $_.Metric -eq 'Mean' }
        $mean.TestName | Should -Be @('TCP_RR', 'UDP_RR')
        # One look, calibrated like every look: Welch's nominal 95 % is liberal with 2 iterations and unequal noise.
        $mean | ForEach-Object { $_.ConfidenceLevel | Should -BeGreaterThan 0.95; $_.ConfidenceLevel | Should -BeLessThan 1; $_.Notes | Should -Match 'Fixed protocol: 2 iterations per arm, one look' }
        Get-Content -Raw (Join-Path $Work 'fixed.html') | Should -Match 'UDP_RR'
    }

    It 'binds netperf and netserver to -LocalCpu and -RemoteCpu in both arms, as netperf itself reports' {
        $out = Invoke-LatencyComparison -Arm @{ Label = 'kernel' }, @{ Label = 'onload'; Onload = $true } -TestName TCP_RR -Iterations 2 -Duration 1 -PassThru -LocalCpu 1 -RemoteCpu 0 -WarningAction SilentlyContinue
        $runs = @($out | Where-Object { $_ -is [OnloadTools.LatencyRun] })
        $runs.Label | Should -Be @('kernel', 'onload')
        foreach ($run in $runs) {
            $run.Samples | Should -HaveCount 2
            $run.Samples | ForEach-Object {
                $_.CommandLine | Should -Match ' -T 1,0( |$)'
                $_.LocalCpu | Should -Be 1        # netperf's LOCAL_CPU_BIND: the binding it made, not the one asked for
                $_.RemoteCpu | Should -Be 0
            }
        }
        $runs[1].Samples[0].CommandLine | Should -BeLike 'onload --profile=latency netperf *'
    }

    It 'says Accelerated True when libonload is mapped in netperf and opened the host''s /dev/onload' {
        $env:ONLOADTOOLS_DOUBLE_LIBONLOAD = $StubLibrary
        $env:ONLOADTOOLS_HOST_ROOT = $DeviceRoot
        $out = Invoke-LatencyComparison -Arm @{ Label = 'kernel' }, @{ Label = 'onload'; Onload = $true } -TestName UDP_RR -Iterations 2 -Duration 1 -PassThru -WarningVariable w
        $runs = @($out | Where-Object { $_ -is [OnloadTools.LatencyRun] })
        $runs[0].Accelerated | Should -BeNullOrEmpty
        $runs[1].Onload | Should -BeTrue
        $runs[1].Accelerated | Should -Be 'True'
        $runs[1].Samples.Accelerated | Should -Be @('True', 'True')
        $runs[1].Samples[0].CommandLine | Should -BeLike 'onload --profile=latency netperf *'
        $w | Where-Object { "$_" -match 'Onload was expected|no Onload stack' } | Should -BeNullOrEmpty
    }

    It 'says Accelerated False and "no Onload stack" when libonload is mapped on a host without /dev/onload' {
        # The issue's case on the host: the library is there, the device is not, Onload fell back to the kernel.
        Test-Path /dev/onload | Should -BeFalse -Because 'this case needs a host without Onload devices'
        $env:ONLOADTOOLS_DOUBLE_LIBONLOAD = $StubLibrary
        $out = Invoke-LatencyComparison -Arm @{ Label = 'kernel' }, @{ Label = 'onload'; Onload = $true } -TestName UDP_RR -Iterations 2 -Duration 1 -PassThru -WarningVariable w -WarningAction SilentlyContinue
        $runs = @($out | Where-Object { $_ -is [OnloadTools.LatencyRun] })
        $runs[0].Accelerated | Should -BeNullOrEmpty
        $runs[1].Accelerated | Should -Be 'False'
        $runs[1].Samples.Accelerated | Should -Be @('False', 'False')
        $warnings = @($w | ForEach-Object { "$_" })
        $warnings -match 'libonload is loaded but created no Onload stack: ' | Should -Not -BeNullOrEmpty
        $warnings -match 'Onload was expected but netperf ran without it' | Should -BeNullOrEmpty
    }

    It 'says Accelerated False and warns when onload ran but its library was not there' {
        # The same double without the library: what an admin sees when Onload is lost silently.
        $out = Invoke-LatencyComparison -Arm @{ Label = 'kernel' }, @{ Label = 'onload'; Onload = $true } -TestName UDP_RR -Iterations 2 -Duration 1 -PassThru -WarningVariable w -WarningAction SilentlyContinue
        $run = $out | Where-Object { $_ -is [OnloadTools.LatencyRun] -and $_.Label -eq 'onload' }
        $run.Accelerated | Should -Be 'False'
        @($w | Where-Object { "$_" -match 'Onload was expected but netperf ran without it' }) | Should -HaveCount 1
    }

    It 'stops netperf and the private netserver at once on Stop, leaving no run file InProgress' {
        $dir = Join-Path $Work 'stopped'
        $ps = [PowerShell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$script:Manifest'; Invoke-LatencyComparison -Arm @{ Label = 'a' }, @{ Label = 'b' } -Iterations 5 -Duration 2 -HistoryPath '$dir'")
            $null = $ps.BeginInvoke()
            $deadline = (Get-Date).AddSeconds(60)
            while ((Get-Date) -lt $deadline -and @(Get-ChildItem "$dir/*_b_*.json" -ErrorAction Ignore).Count -eq 0) { Start-Sleep -Milliseconds 100 }
            Start-Sleep -Milliseconds 500
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 10
            Get-OurProcess netperf | Should -BeNullOrEmpty
            Get-OurProcess netserver | Should -BeNullOrEmpty
            $docs = Get-ChildItem $dir -Filter *.json | ForEach-Object { Get-Content -Raw $_.FullName | ConvertFrom-Json }
            $docs.Count | Should -BeGreaterOrEqual 2
            $docs | ForEach-Object { $_.run.status | Should -Be 'Stopped' }
            $port = $docs[0].run.port
            $client = [Net.Sockets.TcpClient]::new()
            { $client.Connect('127.0.0.1', $port) } | Should -Throw
            $client.Dispose()
        }
        finally {
            $ps.Dispose()
        }
    }

    It 'refuses a malformed -Arm before anything runs' {
        { Invoke-LatencyComparison -Arm @{ Label = 'a'; Colour = 'red' }, @{ Label = 'b' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArm,OnloadTools.Commands.InvokeLatencyComparisonCommand'
        { Invoke-LatencyComparison -Arm @{ Label = 'same' }, @{ Label = 'same' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArm,OnloadTools.Commands.InvokeLatencyComparisonCommand'
        Get-OurProcess netserver | Should -BeNullOrEmpty
    }

    It 'refuses a -HistoryPath that cannot be a history before it measures or starts anything' {
        $notes = Join-Path $Work 'notes.txt'
        Set-Content -Path $notes -Value 'keep me'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        { Invoke-LatencyComparison -Arm @{ Label = 'a' }, @{ Label = 'b' } -TestName TCP_RR -Iterations 2 -Duration 1 -HistoryPath $notes } |
            Should -Throw -ErrorId 'HistoryPathIsAFile,OnloadTools.Commands.InvokeLatencyComparisonCommand'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 1.5 -Because 'the path is refused before netperf runs'
        @(Get-OurProcess netserver) | Should -BeNullOrEmpty
        Get-Content $notes | Should -Be 'keep me'
    }

    It '-WhatIf measures nothing' {
        $out = Invoke-LatencyComparison -Arm @{ Label = 'a' }, @{ Label = 'b' } -WhatIf
        $out | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-LatencyComparison with the real podman' -Tag Podman {
    BeforeAll {
        . "$PSScriptRoot/ContainerTestHelpers.ps1"
        $script:SavedConf = $env:CONTAINERS_CONF
        if (-not $env:CONTAINERS_CONF) { $env:CONTAINERS_CONF = '/etc/containers/onloadtools-ci.conf' }
        $script:Base = 'localhost/onloadtools-comparison-test-base'
        $script:BuiltBase = Initialize-TestBaseImage $Base
        $script:ImageTag = "localhost/onloadtools-comparison-test:$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $script:StandInImage = "localhost/onloadtools-comparison-standin:$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        # The Onload image of these tests (the Onload label, the onload double, netperf): built by the first test, or here.
        function script:Initialize-TestImage {
            podman image exists $ImageTag
            if ($LASTEXITCODE -ne 0) { Invoke-LatencyComparison -Image $ImageTag -BaseImage $Base -OnloadPackage (New-OnloadTestDeb $Work) -TestName TCP_RR -Iterations 2 -Duration 1 -WarningAction SilentlyContinue | Out-Null }
        }
        # That image with the stand-in libonload, preloaded by its onload as the real wrapper preloads libonload.so: an
        # onload on PATH before the image's own (/usr/local/bin) puts the library in LD_PRELOAD and runs the image's onload.
        function script:Initialize-StandInImage {
            podman image exists $StandInImage
            if ($LASTEXITCODE -eq 0) { return }
            Initialize-TestImage
            $context = (New-Item -ItemType Directory -Path (Join-Path $Work "standin-image-$([guid]::NewGuid().ToString('N').Substring(0, 8))")).FullName
            Copy-Item $StubLibrary (Join-Path $context 'libonload.so')
            Set-Content -Path (Join-Path $context 'onload') -NoNewline -Value ("#!/bin/sh`n" +
                "# The image's onload with the stand-in libonload preloaded, as the real wrapper preloads libonload.so.`n" +
                "LD_PRELOAD=/usr/lib/onload-stand-in/libonload.so`${LD_PRELOAD:+:`$LD_PRELOAD}`nexport LD_PRELOAD`n" +
                "exec /usr/bin/onload `"`$@`"`n")
            chmod 755 (Join-Path $context 'onload')
            Set-Content -Path (Join-Path $context 'Containerfile') -Value ("FROM $ImageTag`n" +
                "COPY libonload.so /usr/lib/onload-stand-in/libonload.so`nCOPY onload /usr/local/bin/onload`n")
            podman build --quiet -t $StandInImage -f (Join-Path $context 'Containerfile') $context | Out-Null
            if ($LASTEXITCODE -ne 0) { throw "podman build of $StandInImage failed" }
        }
    }
    AfterAll {
        podman rmi --force $StandInImage 2>$null | Out-Null
        podman rmi --force $ImageTag 2>$null | Out-Null
        if ($BuiltBase -and $env:ONLOADTOOLS_TEST_KEEP_BASE -ne '1') { podman rmi --force $Base | Out-Null }
        $env:CONTAINERS_CONF = $script:SavedConf
    }

    It 'builds the image from -BaseImage, measures bare metal against the container, and removes the container' {
        $deb = New-OnloadTestDeb $Work
        $out = Invoke-LatencyComparison -Image $ImageTag -BaseImage $Base -PassThru -OnloadPackage $deb -TestName TCP_RR -Iterations 2 -Duration 1 -WarningVariable w -WarningAction SilentlyContinue
        $runs = @($out | Where-Object { $_ -is [OnloadTools.LatencyRun] })
        $runs.Label | Should -Be @('bare-metal', 'container')
        $runs[0].ClientLocation | Should -Be 'host'
        $runs[1].ClientLocation | Should -BeLike 'container:onloadtools-comparison-*'
        $runs[1].Onload | Should -BeTrue                       # the image has the onload wrapper: netperf runs under it
        $runs[1].Samples[0].CommandLine | Should -BeLike 'podman exec onloadtools-comparison-* onload --profile=latency netperf *'
        # The image's onload (a double) preloads nothing and this host has no Onload devices: not accelerated, and said so.
        $runs[1].Accelerated | Should -Be 'False'
        ($w | ForEach-Object { "$_" }) -join "`n" | Should -Match 'Onload was expected but netperf ran without it'
        podman image exists $ImageTag
        $LASTEXITCODE | Should -Be 0
        podman ps --all --quiet --filter "name=$($runs[1].ClientLocation.Substring(10))" | Should -BeNullOrEmpty
    }

    It 'Measure-NetperfLatency -Container checks Onload in a container whose image carries it' {
        # The image of the test before (the Onload label, the onload double, netperf); four containers on the host's
        # network: one as it is, two with the stand-in libonload preloaded (without Onload's device, and with
        # --device=/dev/null:/dev/onload, which the stand-in opens as its stack), one of the plain base image (no label).
        Initialize-TestImage
        $tag = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $names = @{ Lost = "ot-acc-lost-$tag"; Had = "ot-acc-had-$tag"; Stack = "ot-acc-stack-$tag"; Plain = "ot-acc-plain-$tag" }
        # Inside a container the server is whatever it can reach: a netserver of this test on the host's loopback.
        $port = Get-Random -Minimum 20000 -Maximum 30000
        $server = [System.Diagnostics.Process]::Start('netserver', [string[]] @('-D', '-L', '127.0.0.1', '-p', "$port"))
        $at = @{ ComputerName = '127.0.0.1'; Port = $port; TestName = 'TCP_RR'; Iterations = 1; Duration = 1 }
        try {
            podman run -d --name $names.Lost --net=host $ImageTag sleep 600 | Out-Null
            podman run -d --name $names.Had --net=host -v "${StubLibrary}:/opt/stub/libonload.so:ro" -e LD_PRELOAD=/opt/stub/libonload.so $ImageTag sleep 600 | Out-Null
            podman run -d --name $names.Stack --net=host --device=/dev/null:/dev/onload -v "${StubLibrary}:/opt/stub/libonload.so:ro" -e LD_PRELOAD=/opt/stub/libonload.so $ImageTag sleep 600 | Out-Null
            podman run -d --name $names.Plain --net=host $Base sleep 600 | Out-Null

            $lost = Measure-NetperfLatency @at -Container $names.Lost -WarningVariable w -WarningAction SilentlyContinue
            $lost.ClientLocation | Should -Be "container:$($names.Lost)"
            $lost.Accelerated | Should -Be 'False'
            $lost.Samples[0].Accelerated | Should -Be 'False'
            ($w | ForEach-Object { "$_" }) -join "`n" | Should -Match 'Onload was expected but netperf ran without it'

            # The library without the device: mapped, no stack, the kernel's sockets. Not accelerated, and said so.
            $had = Measure-NetperfLatency @at -Container $names.Had -WarningVariable w2 -WarningAction SilentlyContinue
            $had.Accelerated | Should -Be 'False'
            $had.Samples[0].Accelerated | Should -Be 'False'
            ($w2 | ForEach-Object { "$_" }) -join "`n" | Should -Match 'libonload is loaded but created no Onload stack: '
            ($w2 | ForEach-Object { "$_" }) -join "`n" | Should -Not -Match 'Onload was expected'

            $stack = Measure-NetperfLatency @at -Container $names.Stack -WarningVariable w3
            $stack.Accelerated | Should -Be 'True'
            $stack.Samples[0].Accelerated | Should -Be 'True'
            ($w3 | ForEach-Object { "$_" }) -join "`n" | Should -Not -Match 'Onload was expected|no Onload stack'

            $plain = Measure-NetperfLatency @at -Container $names.Plain
            $plain.Accelerated | Should -BeNullOrEmpty      # no Onload label and no -Onload: nothing to check
            $plain.MeanLatency | Should -BeGreaterThan 0
        }
        finally {
            podman rm -f -t 0 $names.Lost $names.Had $names.Stack $names.Plain 2>&1 | Out-Null
            if (-not $server.HasExited) { $server.Kill($true); $server.WaitForExit(5000) | Out-Null }
        }
    }

    It 'a container arm whose libonload finds no /dev/onload is not accelerated, and says why' {
        # The issue as filed: a container arm on a host without Onload devices warned "Onload cannot accelerate it" and
        # then reported Accelerated True, because the library was mapped.
        Test-Path /dev/onload | Should -BeFalse -Because 'this case needs a host without Onload devices'
        Initialize-StandInImage
        $out = Invoke-LatencyComparison -Image $StandInImage -TestName TCP_RR -Iterations 2 -Duration 1 -PassThru -WarningVariable w -WarningAction SilentlyContinue
        $runs = @($out | Where-Object { $_ -is [OnloadTools.LatencyRun] })
        $runs.Label | Should -Be @('bare-metal', 'container')
        $runs[1].Samples[0].CommandLine | Should -BeLike 'podman exec onloadtools-comparison-* onload --profile=latency netperf *'
        $runs[0].Accelerated | Should -BeNullOrEmpty
        $runs[1].Accelerated | Should -Be 'False'
        $runs[1].Samples.Accelerated | Should -Be @('False', 'False')
        $warnings = ($w | ForEach-Object { "$_" }) -join "`n"
        $warnings | Should -Match 'Onload cannot accelerate it'
        $warnings | Should -Match 'libonload is loaded but created no Onload stack: '
        $warnings | Should -Not -Match 'Onload was expected'
        podman ps --all --quiet --filter "name=$($runs[1].ClientLocation.Substring(10))" | Should -BeNullOrEmpty
    }

    It 'a container arm given Onload''s devices is accelerated: the stand-in opened /dev/onload inside' {
        # A host that has Onload's devices: the module's host root with null devices named onload and onload_epoll. The
        # arm's container gets them (--device=ROOT/dev/onload:/dev/onload) and the stand-in holds it open.
        Initialize-StandInImage
        $env:ONLOADTOOLS_HOST_ROOT = $DeviceRoot
        try {
            $out = Invoke-LatencyComparison -Image $StandInImage -TestName TCP_RR -Iterations 2 -Duration 1 -PassThru -WarningVariable w -Verbose 4>&1
        }
        finally {
            $env:ONLOADTOOLS_HOST_ROOT = $script:SavedRoot
        }
        $started = $out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*started container*' }
        $started.Message | Should -BeLike "*--device=$DeviceRoot/dev/onload:/dev/onload*"
        $runs = @($out | Where-Object { $_ -is [OnloadTools.LatencyRun] })
        $runs[1].Accelerated | Should -Be 'True'
        $runs[1].Samples.Accelerated | Should -Be @('True', 'True')
        ($w | ForEach-Object { "$_" }) -join "`n" | Should -Not -Match 'Onload was expected|no Onload stack|cannot accelerate'
    }

    It 'reuses the image and removes the container on Stop' {
        $ps = [PowerShell]::Create()
        $dir = Join-Path $Work 'stopped-podman'
        try {
            $null = $ps.AddScript("Import-Module '$script:Manifest'; Invoke-LatencyComparison -Image '$ImageTag' -TestName TCP_RR -Iterations 5 -Duration 2 -HistoryPath '$dir' -Verbose")
            $null = $ps.BeginInvoke()
            $deadline = (Get-Date).AddSeconds(90)
            while ((Get-Date) -lt $deadline -and @(Get-ChildItem "$dir/*_container_*.json" -ErrorAction Ignore).Count -eq 0) { Start-Sleep -Milliseconds 100 }
            @(podman ps --quiet --filter 'name=onloadtools-comparison-') | Should -HaveCount 1
            $ps.Stop()
            podman ps --all --quiet --filter 'name=onloadtools-comparison-' | Should -BeNullOrEmpty
            $ps.Streams.Verbose.Message | Where-Object { $_ -like "Reusing image $ImageTag*" } | Should -Not -BeNullOrEmpty
            Get-ChildItem $dir -Filter *.json | ForEach-Object { (Get-Content -Raw $_.FullName | ConvertFrom-Json).run.status | Should -Be 'Stopped' }
        }
        finally {
            $ps.Dispose()
        }
    }
}
