#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Measure-NetperfLatency with the real netperf/netserver. (netperf's output parser is tested in xunit: Latency/NetperfParserTests.cs.)

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
    function script:Test-Listening([int] $Port, [string] $Address = '127.0.0.1') {
        $c = [System.Net.Sockets.TcpClient]::new()
        try { $c.ConnectAsync($Address, $Port).Wait(500) -and $c.Connected } catch { $false } finally { $c.Dispose() }
    }
    # A pipeline in a runspace of its own with the module imported: its progress records can be read, and it can be
    # stopped (Ctrl+C) while it runs. $Sink receives the output objects as they are emitted.
    function script:New-ModulePipeline([string] $Script, [System.Collections.IList] $Sink = [System.Collections.ArrayList]::new()) {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("param(`$sink) Import-Module '$script:Manifest'; $Script | ForEach-Object { `$null = `$sink.Add(`$_) }").AddArgument($Sink)
        $ps
    }
    function script:Get-ProcessWithArgument([string] $Name, [string] $Argument) {
        Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | ForEach-Object {
            $argv = try { (Get-Content -Raw -LiteralPath "$($_.FullName)/cmdline" -ErrorAction Stop) -split "`0" } catch { @() }
            if ($argv.Count -gt 0 -and (Split-Path -Leaf $argv[0]) -eq $Name -and $argv -contains $Argument) { $argv -join ' ' }
        }
    }
}

Describe 'Latency (netperf)' {
    AfterEach {
        $env:PATH = $script:OldPath
        Remove-Item Env:ONLOADTOOLS_DOUBLE_STATE, Env:ONLOADTOOLS_DOUBLE_ONLOAD_VERSION -ErrorAction Ignore
    }

    Describe 'Measure-NetperfLatency' {
        It 'measures both tests against a private netserver when called alone' {
            Test-Listening 12865 | Should -BeFalse -Because 'the private netserver path needs port 12865 free'
            $counts = Measure-NetperfLatency -TestName TCP_RR, UDP_RR -Iterations 3 -Duration 1 | ForEach-Object { $_.Samples.Count }
            $counts | Should -Be @(3, 3)
        }

        It 'returns consistent real figures and records the environment' {
            $run = Measure-NetperfLatency -TestName UDP_RR -Iterations 2 -Duration 1 -RequestSize 32 -ResponseSize 64 -Label lab
            $run | Should -HaveCount 1
            $run.PSObject.TypeNames[0] | Should -Be 'OnloadTools.LatencyRun'
            $run.TestName | Should -Be 'UDP_RR'
            $run.Status | Should -Be 'Completed'
            $run.IterationsCompleted | Should -Be 2
            $run.Label | Should -Be 'lab'
            $run.ToolVersion | Should -Be '2.7.0'
            $run.KernelRelease | Should -Be (Get-Content /proc/sys/kernel/osrelease)
            $run.ServerCommandLine | Should -BeLike 'netserver -D -p *'
            $run.RequestSize | Should -Be 32
            foreach ($s in $run.Samples) {
                $s.Label | Should -Be 'lab'
                $s.CommandLine | Should -BeLike '*-t UDP_RR*-r 32,64*'
                $s.RequestSize | Should -Be 32
                $s.ResponseSize | Should -Be 64
                $s.MinLatency | Should -BeGreaterOrEqual 0.5
                $s.MinLatency | Should -BeLessOrEqual $s.MeanLatency
                $s.MeanLatency | Should -BeLessOrEqual $s.MaxLatency
                $s.P99Latency | Should -BeGreaterOrEqual $s.P50Latency
                # One transaction in flight: the rate and the mean round trip describe the same thing.
                ($s.TransactionRate * $s.RoundTripLatency / 1e6) | Should -BeGreaterThan 0.95
                ($s.TransactionRate * $s.RoundTripLatency / 1e6) | Should -BeLessThan 1.05
                ($s.EndTime - $s.StartTime).TotalSeconds | Should -BeGreaterOrEqual 0.9
                ($s.EndTime - $s.StartTime).TotalSeconds | Should -BeLessOrEqual 10
            }
            [math]::Round($run.MeanLatency, 9) | Should -Be ([math]::Round(($run.Samples | ForEach-Object MeanLatency | Measure-Object -Average).Average, 9))
            $run.MinLatency | Should -Be ($run.Samples | ForEach-Object MinLatency | Measure-Object -Minimum).Minimum
            $run.MaxLatency | Should -Be ($run.Samples | ForEach-Object MaxLatency | Measure-Object -Maximum).Maximum
        }

        It 'stops its private netserver afterwards' {
            $run = Measure-NetperfLatency -TestName TCP_RR -Iterations 1 -Duration 1
            Get-ProcessWithArgument netserver ([string]$run.Port) | Should -BeNullOrEmpty
            Test-Listening $run.Port | Should -BeFalse
        }

        It 'uses an existing netserver' {
            $port = Get-FreePort
            $server = Start-Process netserver -ArgumentList '-D', '-p', $port, '-L', '127.0.0.1', '-4' -PassThru
            try {
                Start-Sleep -Milliseconds 500
                $run = Measure-NetperfLatency -ComputerName 127.0.0.1 -Port $port -TestName TCP_RR -Iterations 1 -Duration 1
                $run.ServerCommandLine | Should -BeNullOrEmpty
                $run.ComputerName | Should -Be '127.0.0.1'
                $run.Port | Should -Be $port
                $run.Samples[0].CommandLine | Should -BeLike "*-H 127.0.0.1 -p $port*"
            }
            finally { $server | Stop-Process -Force }
        }

        It 'reports an unreachable netserver once, as ConnectionError with netperf''s words' {
            $port = Get-FreePort
            $out = Measure-NetperfLatency -ComputerName 127.0.0.1 -Port $port -TestName TCP_RR, UDP_RR -Iterations 5 -Duration 1 -ErrorVariable errs -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'NetserverUnreachable,*'
            $errs[0].CategoryInfo.Category | Should -Be 'ConnectionError'
            $errs[0].TargetObject | Should -Be "127.0.0.1:$port"
            $errs[0].Exception.Message | Should -BeLike '*are you sure there is a netserver listening*'
            $errs[0].Exception.Message | Should -BeLike '*exit code 255*'
        }

        It 'says NotInstalled with the package when netperf is missing' {
            $env:PATH = '/nonexistent-bin'
            $err = { Measure-NetperfLatency -Iterations 1 -Duration 1 -ErrorAction Stop } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'NetperfNotInstalled,*'
            $err.CategoryInfo.Category | Should -Be 'NotInstalled'
            $err.TargetObject | Should -Be 'netperf'
            $err.Exception.Message | Should -BeLike '*dnf install netperf*'
        }

        It 'keeps the other iterations when one fails' {
            $env:ONLOADTOOLS_DOUBLE_STATE = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
            $env:PATH = "$script:Fixtures/bin-netperf-flaky:$script:OldPath"
            $run = Measure-NetperfLatency -TestName TCP_RR -Iterations 3 -Duration 1 -ErrorVariable errs -ErrorAction SilentlyContinue
            $run.Samples.Iteration | Should -Be @(1, 3)
            $run.IterationsFailed | Should -Be 1
            $run.Status | Should -Be 'Partial'
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'NetperfFailed,*'
            $errs[0].CategoryInfo.Category | Should -Be 'InvalidResult'
            $errs[0].Exception.Message | Should -BeLike '*Connection reset by peer*'
            $errs[0].Exception.Message | Should -BeLike '*exited with code 1*'
        }

        It 'reports unparsable output as InvalidResult with the raw text' {
            $env:PATH = "$script:Fixtures/bin-netperf-garbage:$script:OldPath"
            $out = Measure-NetperfLatency -TestName TCP_RR -Iterations 2 -Duration 1 -ErrorVariable errs -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $errs | Should -HaveCount 2
            $errs | ForEach-Object {
                $_.FullyQualifiedErrorId | Should -BeLike 'NetperfOutputUnparsable,*'
                $_.CategoryInfo.Category | Should -Be 'InvalidResult'
                $_.TargetObject | Should -BeLike '*this is not a netperf result*'
            }
        }

        It 'says a computer name that does not resolve does not resolve, before measuring' {
            $out = Measure-NetperfLatency -ComputerName no.such.host.invalid -TestName TCP_RR -Iterations 2 -Duration 1 -ErrorVariable errs -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'ComputerNameNotResolved,*'
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errs[0].TargetObject | Should -Be 'no.such.host.invalid'
            $errs[0].Exception.Message | Should -BeLike "*'no.such.host.invalid' does not resolve*"
            $errs[0].Exception.Message | Should -Not -BeLike '*netserver*'
        }

        It 'refuses a result whose banner names another test than the one asked for' {
            $env:PATH = "$script:Fixtures/bin-netperf-wrongtest:$script:OldPath"
            $out = Measure-NetperfLatency -TestName TCP_RR -Iterations 2 -Duration 1 -ErrorVariable errs -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            # the same netperf would run the same wrong test again: one error, the rest of the test skipped
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'NetperfWrongTest,*'
            $errs[0].CategoryInfo.Category | Should -Be 'InvalidResult'
            $errs[0].TargetObject | Should -BeLike '*TCP STREAM TEST*'
            $errs[0].Exception.Message | Should -BeLike '*asked for TCP_RR*ran TCP_STREAM*'
        }

        It 'wraps netperf and the private netserver in onload and records its version' {
            $env:ONLOADTOOLS_DOUBLE_STATE = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
            $env:ONLOADTOOLS_DOUBLE_ONLOAD_VERSION = '9.0.1.42'
            $env:PATH = "$script:Fixtures/bin:$script:OldPath"
            $run = Measure-NetperfLatency -Onload -OnloadProfile latency-best -TestName TCP_RR -Iterations 1 -Duration 1 -ErrorVariable errs
            $errs | Should -BeNullOrEmpty
            $run.Onload | Should -BeTrue
            $run.OnloadProfile | Should -Be 'latency-best'
            $run.OnloadVersion | Should -Be '9.0.1.42'
            $run.Label | Should -Be 'onload'
            $run.Samples[0].CommandLine | Should -BeLike 'onload --profile=latency-best netperf -H 127.0.0.1*'
            $run.ServerCommandLine | Should -BeLike 'onload --profile=latency-best netserver -D*'
            Get-Content "$env:ONLOADTOOLS_DOUBLE_STATE/onload.log" | Should -Contain ($run.Samples[0].CommandLine -replace '^onload ', '')
            (Get-Content -Raw "$env:ONLOADTOOLS_DOUBLE_STATE/onload.log") | Should -BeLike '*--profile=latency-best netserver -D*'
        }

        It 'says NotInstalled when -Onload is asked and onload is missing' {
            $env:PATH = '/usr/bin:/bin'
            $err = { Measure-NetperfLatency -Onload -Iterations 1 -Duration 1 -ErrorAction Stop } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'OnloadNotInstalled,*'
            $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        }

        It 'reports a container where netperf cannot run once, up front' {
            # Real podman: `podman exec` of a missing container fails before netperf runs. Nothing can be measured, so
            # the cmdlet stops with one terminating error (-ErrorAction SilentlyContinue does not silence that).
            $script:out = $null
            $err = { $script:out = Measure-NetperfLatency -Container onloadtools-no-such-container -ComputerName 127.0.0.1 -TestName TCP_RR, UDP_RR -Iterations 3 -Duration 1 -ErrorAction SilentlyContinue } |
                Should -Throw -PassThru
            $script:out | Should -BeNullOrEmpty
            $err.FullyQualifiedErrorId | Should -BeLike 'NetperfClientUnavailable,*'
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err.TargetObject | Should -Be 'container:onloadtools-no-such-container'
            $err.Exception.Message | Should -BeLike '*podman exec onloadtools-no-such-container netperf -V*'
            $err.Exception.Message | Should -BeLike '*no container with name or ID*'
        }

        It 'passes CPU binding and confidence options to netperf' {
            $run = Measure-NetperfLatency -TestName TCP_RR -Iterations 1 -Duration 1 -LocalCpu 0 -RemoteCpu 1 -ConfidenceLevel 95 -ConfidenceWidth 50 -MaxIterations 3
            $run.Samples[0].CommandLine | Should -BeLike '*-T 0,1*-I 95,50 -i 3,3*'
            $run.Samples[0].LocalCpu | Should -Be 0
            $run.Samples[0].RemoteCpu | Should -Be 1
            $run.Samples[0].ConfidenceLevel | Should -Be 95
            $run.Samples[0].ConfidenceIterations | Should -BeGreaterOrEqual 1
            $run.Samples[0].ConfidenceIterations | Should -BeLessOrEqual 3
            $run.LocalCpu | Should -Be 0
        }

        It 'rejects a test that is not request/response before running anything' {
            { Measure-NetperfLatency -TestName TCP_STREAM -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,OnloadTools.Commands.MeasureNetperfLatencyCommand'
            $ps = New-ModulePipeline 'Measure-NetperfLatency -TestName TCP_STREAM -Iterations 1'
            try {
                $out = $ps.Invoke()
                $out | Should -BeNullOrEmpty
                $ps.Streams.Error.Count | Should -Be 1
                $ps.Streams.Error[0].Exception | Should -BeOfType ([System.Management.Automation.ParameterBindingException])
                $ps.Streams.Progress | Should -BeNullOrEmpty
            }
            finally { $ps.Dispose() }
        }

        It 'reports the iteration and the seconds remaining as progress' {
            $ps = New-ModulePipeline 'Measure-NetperfLatency -TestName TCP_RR -Iterations 2 -Duration 2'
            try {
                $null = $ps.Invoke()
                $ps.Streams.Error | Should -BeNullOrEmpty
                $progress = @($ps.Streams.Progress)
                $first = $progress | Where-Object RecordType -eq Processing | Select-Object -First 1
                $first.StatusDescription | Should -BeLike '*TCP_RR iteration 1 of 2*'
                $first.SecondsRemaining | Should -BeGreaterOrEqual 4
                $first.SecondsRemaining | Should -BeLessOrEqual 8
                @($progress | Where-Object StatusDescription -like '*iteration 2 of 2*').Count | Should -BeGreaterThan 0
                $progress[-1].RecordType | Should -Be 'Completed'
            }
            finally { $ps.Dispose() }
        }

        It 'writes each run to -HistoryPath as it completes' {
            $dir = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
            try {
                $runs = Measure-NetperfLatency -TestName TCP_RR, UDP_RR -Iterations 2 -Duration 1 -HistoryPath $dir
                $files = Get-ChildItem $dir -Filter *.json
                $files | Should -HaveCount 2
                Get-ChildItem $dir -Filter *.tmp | Should -BeNullOrEmpty
                foreach ($f in $files) {
                    $doc = Get-Content -Raw $f.FullName | ConvertFrom-Json
                    $doc.schemaVersion | Should -Be 1
                    $doc.run.status | Should -Be 'Completed'
                    $doc.run.runId | Should -BeIn $runs.RunId
                    $live = $runs | Where-Object RunId -eq $doc.run.runId
                    $stored = Import-LatencyRun $f.FullName
                    $stored.Samples.MeanLatency | Should -Be $live.Samples.MeanLatency
                    $stored.MeanLatency | Should -Be $live.MeanLatency
                }
            }
            finally { Remove-Item $dir -Recurse -Force -ErrorAction Ignore }
        }

        It 'appends each save of a run to a -HistoryPath ending in .jsonl, which imports as the completed run' {
            $file = Join-Path $TestDrive 'nightly.jsonl'
            $runs = Measure-NetperfLatency -TestName TCP_RR -Iterations 2 -Duration 1 -HistoryPath $file -ErrorVariable errs
            $errs | Should -BeNullOrEmpty
            # One line per save: after each of the two iterations, then the completed run.
            @(Get-Content $file).Count | Should -Be 3
            $back = @(Import-LatencyRun -Path $file)
            $back.Count | Should -Be 1
            '{0} {1} {2}' -f $back[0].RunId, $back[0].Status, $back[0].IterationsCompleted | Should -Be "$($runs[0].RunId) Completed 2"
        }

        It 'kills netperf and the private netserver at once on Ctrl+C' {
            $ps = New-ModulePipeline 'Measure-NetperfLatency -TestName TCP_RR -Iterations 1 -Duration 60'
            try {
                $async = $ps.BeginInvoke()
                $deadline = (Get-Date).AddSeconds(15)
                do {
                    Start-Sleep -Milliseconds 100
                    $netperfs = @(Get-ProcessWithArgument netperf '60' | Where-Object { $_ -match ' -l 60( |$)' })
                } while ($netperfs.Count -eq 0 -and (Get-Date) -lt $deadline)
                $netperfs.Count | Should -BeGreaterThan 0
                Start-Sleep -Milliseconds 500
                $watch = [Diagnostics.Stopwatch]::StartNew()
                $ps.Stop()
                $watch.Stop()
                $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
                $stopped = { $ps.EndInvoke($async) } | Should -Throw -PassThru   # a method call: PowerShell wraps what it throws
                $stopped.Exception.InnerException | Should -BeOfType ([System.Management.Automation.PipelineStoppedException])
                @(Get-ProcessWithArgument netperf '60' | Where-Object { $_ -match ' -l 60( |$)' }).Count | Should -Be 0
                $serverPort = [regex]::Match($netperfs[0], ' -p (\d+)').Groups[1].Value
                $serverPort | Should -Not -BeNullOrEmpty
                Get-ProcessWithArgument netserver $serverPort | Should -BeNullOrEmpty
            }
            finally { $ps.Dispose() }
        }

        It 'keeps what was measured on Ctrl+C: completed runs emitted, finished iterations on disk, marked Stopped' {
            $dir = Join-Path $TestDrive 'stop'
            $sink = [System.Collections.ArrayList]::Synchronized([System.Collections.ArrayList]::new())
            $ps = New-ModulePipeline "Measure-NetperfLatency -TestName TCP_RR,UDP_RR -Iterations 3 -Duration 1 -HistoryPath '$dir'" $sink
            try {
                $async = $ps.BeginInvoke()
                # Wait until UDP_RR has a completed iteration on disk, then press Ctrl+C.
                $deadline = (Get-Date).AddSeconds(30)
                while ((Get-Date) -lt $deadline -and -not (Get-ChildItem $dir -Filter '*_UDP_RR_*.json' -ErrorAction Ignore)) { Start-Sleep -Milliseconds 50 }
                $ps.Stop()
                $stopped = { $ps.EndInvoke($async) } | Should -Throw -PassThru   # a method call: PowerShell wraps what it throws
                $stopped.Exception.InnerException | Should -BeOfType ([System.Management.Automation.PipelineStoppedException])
                # The TCP_RR run completed before the stop and was emitted at once.
                $sink.Count | Should -Be 1
                $sink[0].TestName | Should -Be 'TCP_RR'
                $sink[0].IterationsCompleted | Should -Be 3
                # The UDP_RR iterations completed before the stop are on disk, marked Stopped.
                $udpFile = @(Get-ChildItem $dir -Filter '*_UDP_RR_*.json')
                $udpFile.Count | Should -Be 1
                $udp = Import-LatencyRun $udpFile[0].FullName
                $udp.IterationsCompleted | Should -BeIn 1, 2
                $udp.Status | Should -Be 'Stopped'
                $udp.Samples | ForEach-Object { $_.MeanLatency | Should -Not -BeNullOrEmpty }
                # The private netserver is killed by the stop (its process group); give the kernel a moment to reap it.
                $deadline = (Get-Date).AddSeconds(3)
                while ((Get-Date) -lt $deadline -and (Get-ProcessWithArgument netserver ([string]$sink[0].Port))) { Start-Sleep -Milliseconds 100 }
                Get-ProcessWithArgument netserver ([string]$sink[0].Port) | Should -BeNullOrEmpty
            }
            finally { $ps.Dispose() }
        }

        It 'shows a readable table by default' {
            $text = Measure-NetperfLatency -TestName TCP_RR -Iterations 1 -Duration 1 | Format-Table | Out-String
            $text | Should -Match 'Label: bare-metal'
            $text | Should -Match 'Test\s+Iter\s+Min\(us\)\s+Mean\(us\)\s+P99\(us\)\s+Jitter\(us\)\s+Spread\(us\)\s+Status'
            $text | Should -Match 'TCP_RR\s+1/1'
        }

        It 'survives remoting-style serialization with its samples' {
            $run = Measure-NetperfLatency -TestName TCP_RR -Iterations 2 -Duration 1
            $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($run))
            $copy.PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.LatencyRun'
            $copy.Samples | Should -HaveCount 2
            $copy.Samples[0].MeanLatency | Should -Be $run.Samples[0].MeanLatency
        }

        It 'refuses a -HistoryPath that cannot be a history once, before measuring' {
            $notes = Join-Path $TestDrive 'notes.txt'
            Set-Content -Path $notes -Value 'keep me'
            $cases = @(
                @{ Path = $notes; Id = 'HistoryPathIsAFile'; Category = 'InvalidArgument' }
                @{ Path = (Join-Path $TestDrive 'one.json'); Id = 'HistoryPathNotSupported'; Category = 'InvalidArgument' }
                @{ Path = (Join-Path $notes 'history.jsonl'); Id = 'HistoryPathNotWritable'; Category = 'PermissionDenied' }
                @{ Path = '/proc/onloadtools-history'; Id = 'HistoryPathNotWritable'; Category = 'PermissionDenied' }
            )
            foreach ($case in $cases) {
                $sw = [Diagnostics.Stopwatch]::StartNew()
                $out = $null; $errs = $null
                try { $out = Measure-NetperfLatency -TestName TCP_RR -Iterations 1 -Duration 2 -HistoryPath $case.Path -ErrorVariable errs -ErrorAction SilentlyContinue } catch { $errs = @($_) }
                $sw.Elapsed.TotalSeconds | Should -BeLessThan 1.5 -Because "$($case.Path) is refused before netperf runs"
                $out | Should -BeNullOrEmpty
                @($errs) | Should -HaveCount 1 -Because "$($case.Path) is reported once"
                $errs[0].FullyQualifiedErrorId | Should -Be "$($case.Id),OnloadTools.Commands.MeasureNetperfLatencyCommand"
                $errs[0].CategoryInfo.Category | Should -Be $case.Category
                $errs[0].TargetObject | Should -Be $case.Path
            }
            Get-Content $notes | Should -Be 'keep me'
        }

        It 'finalises the run file as Stopped on Ctrl+C, never leaving it InProgress' {
            $dir = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
            $file = Join-Path $dir 'history.jsonl'
            $ps = [PowerShell]::Create()
            try {
                $null = $ps.AddScript("Import-Module '$script:Manifest'; Measure-NetperfLatency -TestName TCP_RR -Iterations 2 -Duration 1 -HistoryPath '$dir'; Measure-NetperfLatency -TestName UDP_RR -Iterations 5 -Duration 1 -HistoryPath '$file'")
                $null = $ps.BeginInvoke()
                $deadline = (Get-Date).AddSeconds(30)
                while ((Get-Date) -lt $deadline -and -not (Test-Path $file)) { Start-Sleep -Milliseconds 50 }
                Test-Path $file | Should -BeTrue
                Start-Sleep -Milliseconds 300
                $ps.Stop()
                $doc = Get-Content -Raw (Get-ChildItem $dir -Filter *.json).FullName | ConvertFrom-Json
                $doc.run.status | Should -Be 'Completed'
                $last = Get-Content $file | Select-Object -Last 1 | ConvertFrom-Json
                $last.run.status | Should -Be 'Stopped'
                $last.run.samples.Count | Should -BeGreaterOrEqual 1
                (Import-LatencyRun $file -WarningVariable warns).Status | Should -Be 'Stopped'
                $warns | Should -BeNullOrEmpty
            }
            finally {
                $ps.Dispose()
                Remove-Item -Recurse -Force $dir -ErrorAction Ignore
            }
        }

        It 'refuses a -Container name that would reach the engine as an option, before anything runs' {
            $bin = New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid()))
            $marker = Join-Path $TestDrive 'engine-ran'
            foreach ($engine in 'podman', 'docker') {
                Set-Content -Path (Join-Path $bin $engine) -Value "#!/bin/sh`necho `"`$@`" >> '$marker'`nexit 1"
                & chmod +x (Join-Path $bin $engine)
            }
            $env:PATH = "$($bin.FullName):$script:OldPath"
            foreach ($name in '--privileged', '--user=0', '-it') {
                { Measure-NetperfLatency -Container $name -ComputerName 127.0.0.1 -TestName TCP_RR -Iterations 1 -Duration 1 -ErrorAction Stop } |
                    Should -Throw -ErrorId 'InvalidContainerName,OnloadTools.Commands.MeasureNetperfLatencyCommand'
                $err = $Error[0]
                $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
                $err.TargetObject | Should -Be $name
            }
            Test-Path $marker | Should -BeFalse -Because 'no engine command may run for a refused name'
        }

        It 'reports an iteration a signal cut short as NetperfIterationCutShort and keeps no sample of it' {
            $port = Get-FreePort
            # Someone signals netperf mid-run (as a terminal's Ctrl+C did while netperf shared pwsh's process group).
            $job = Start-ThreadJob -ArgumentList $port -ScriptBlock {
                param($Port)
                $deadline = (Get-Date).AddSeconds(60)
                $netperf = $null
                while (-not $netperf -and (Get-Date) -lt $deadline) {
                    $netperf = Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | Where-Object {
                        $argv = try { (Get-Content -Raw -LiteralPath "$($_.FullName)/cmdline" -ErrorAction Stop) -split "`0" } catch { @() }
                        $argv.Count -gt 0 -and (Split-Path -Leaf $argv[0]) -eq 'netperf' -and $argv -contains "$Port"
                    } | Select-Object -First 1 -ExpandProperty Name
                    if (-not $netperf) { Start-Sleep -Milliseconds 50 }
                }
                kill -INT $netperf   # the scan of /proc above takes a while: netperf is well into its run by now
            }
            try {
                $runs = Measure-NetperfLatency -Port $port -TestName TCP_RR -Iterations 1 -Duration 10 -ErrorVariable errs -ErrorAction SilentlyContinue
            }
            finally { $job | Wait-Job -Timeout 30 | Remove-Job -Force }
            $runs | Should -BeNullOrEmpty
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'NetperfIterationCutShort,*'
            $errs[0].CategoryInfo.Category | Should -Be 'OperationStopped'
            $errs[0].Exception.Message | Should -Match 'cut short \(\d\.\d\d s of the 10 s asked for'
        }

        It 'on SIGTERM does what Ctrl+C does: keeps what it measured, leaves nothing running' {
            $port = Get-FreePort
            $dir = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
            $script = "Import-Module '$script:Manifest'; Measure-NetperfLatency -Port $port -TestName TCP_RR -Iterations 5 -Duration 2 -HistoryPath '$dir' | Out-Null"
            $psi = New-FreshPwshStartInfo '-NoProfile', '-NonInteractive', '-Command', $script
            $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
            $child = [System.Diagnostics.Process]::Start($psi)
            try {
                $deadline = (Get-Date).AddSeconds(90)
                while (-not (Get-ChildItem $dir -Filter *.json -ErrorAction Ignore) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
                Start-Sleep -Milliseconds 500   # the second iteration is running
                Get-ProcessWithArgument netserver "$port" | Should -Not -BeNullOrEmpty
                kill -TERM $child.Id
                $child.WaitForExit(20000) | Should -BeTrue
                $child.ExitCode | Should -Be 143   # pwsh still ends, after the cleanup
                Start-Sleep -Milliseconds 300
                Get-ProcessWithArgument netserver "$port" | Should -BeNullOrEmpty
                Get-ProcessWithArgument netperf "$port" | Should -BeNullOrEmpty
                $doc = Get-Content -Raw (Get-ChildItem $dir -Filter *.json).FullName | ConvertFrom-Json
                $doc.run.status | Should -Be 'Stopped'   # finalised as a stopped run, not left InProgress
                $doc.run.samples.Count | Should -BeGreaterOrEqual 1
            }
            finally {
                if (-not $child.HasExited) { $child.Kill($true) }
                Remove-Item $dir -Recurse -Force -ErrorAction Ignore
            }
        }
    }
}

# Was it really accelerated? The onload double (tests/fixtures/bin/onload) preloads a stand-in libonload that opens
# /dev/onload when the host has one (tests/Pester/OnloadStandIn.ps1). Accelerated is True only when netperf had both
# the library and a stack; the library alone (Onload fell back to the kernel) is False with its own warning.
Describe 'Measure-NetperfLatency -Onload: was it really accelerated?' {
    BeforeAll {
        . "$PSScriptRoot/OnloadStandIn.ps1"
        $script:AccelWork = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-accel-$([guid]::NewGuid().ToString('N'))")).FullName
        $script:StandIn = New-StandInLibOnload $AccelWork
        $script:DeviceRoot = New-HostRootWithOnloadDevice $AccelWork
        $script:SavedRoot = $env:ONLOADTOOLS_HOST_ROOT
    }
    AfterAll {
        Remove-Item -Recurse -Force $script:AccelWork -ErrorAction Ignore
    }
    BeforeEach {
        $env:PATH = "$script:Fixtures/bin:$script:OldPath"
        $env:ONLOADTOOLS_HOST_ROOT = $null
        $env:ONLOADTOOLS_DOUBLE_LIBONLOAD = $script:StandIn
    }
    AfterEach {
        $env:PATH = $script:OldPath
        $env:ONLOADTOOLS_HOST_ROOT = $script:SavedRoot
        $env:ONLOADTOOLS_DOUBLE_LIBONLOAD = $null
    }

    It 'says False and "no Onload stack" when libonload is loaded on a host without /dev/onload' {
        # What a new user meets: the library is preloaded and mapped, but it cannot open the device and falls back.
        Test-Path /dev/onload | Should -BeFalse -Because 'this case needs a host without Onload devices'
        $run = Measure-NetperfLatency -Onload -TestName TCP_RR -Iterations 2 -Duration 1 -WarningVariable w -WarningAction SilentlyContinue
        $run.Samples[0].CommandLine | Should -BeLike 'onload --profile=latency netperf *'
        $run.Accelerated | Should -Be 'False'
        $run.Samples.Accelerated | Should -Be @('False', 'False')
        $warnings = @($w | ForEach-Object { "$_" })
        @($warnings -match 'libonload is loaded but created no Onload stack: ') | Should -HaveCount 2   # one per iteration
        $warnings -match 'TCP_RR iteration 1: libonload is loaded' | Should -Not -BeNullOrEmpty
        $warnings -match 'Onload was expected but netperf ran without it' | Should -BeNullOrEmpty
    }

    It 'says True when libonload opened the host''s /dev/onload (a stack)' {
        $env:ONLOADTOOLS_HOST_ROOT = $script:DeviceRoot
        $run = Measure-NetperfLatency -Onload -TestName TCP_RR, UDP_RR -Iterations 1 -Duration 1 -WarningVariable w
        $run.Accelerated | Should -Be @('True', 'True')
        $run.Samples.Accelerated | Should -Be @('True', 'True')
        $w | Where-Object { "$_" -match 'no Onload stack|Onload was expected' } | Should -BeNullOrEmpty
        $run[0].MeanLatency | Should -BeGreaterThan 0
    }

    It 'says False and "Onload was expected" when netperf ran without the library' {
        $env:ONLOADTOOLS_HOST_ROOT = $script:DeviceRoot       # a device is no use without the library
        $env:ONLOADTOOLS_DOUBLE_LIBONLOAD = $null
        $run = Measure-NetperfLatency -Onload -TestName TCP_RR -Iterations 1 -Duration 1 -WarningVariable w -WarningAction SilentlyContinue
        $run.Accelerated | Should -Be 'False'
        ($w | ForEach-Object { "$_" }) -join "`n" | Should -Match 'Onload was expected but netperf ran without it \(libonload was not mapped'
        ($w | ForEach-Object { "$_" }) -join "`n" | Should -Not -Match 'no Onload stack'
    }
}

# A real two-host path: netserver in a network namespace of its own behind a veth pair (10.231.7.1 here, 10.231.7.2 there).
Describe 'Measure-NetperfLatency across network namespaces' {
    BeforeAll {
        $script:Namespace = 'onloadtools-t2'
        $script:PeerAddress = '10.231.7.2'
        function script:Remove-TwoHost { & ip netns del $script:Namespace 2>$null; & ip link del otveth0 2>$null; $global:LASTEXITCODE = 0 }
        Remove-TwoHost
        $script:SetupError = $null
        $steps = @(
            @('netns', 'add', $Namespace),
            @('link', 'add', 'otveth0', 'type', 'veth', 'peer', 'name', 'otveth1'),
            @('link', 'set', 'otveth1', 'netns', $Namespace),
            @('addr', 'add', '10.231.7.1/30', 'dev', 'otveth0'),
            @('link', 'set', 'otveth0', 'up'),
            @('netns', 'exec', $Namespace, 'ip', 'addr', 'add', "$PeerAddress/30", 'dev', 'otveth1'),
            @('netns', 'exec', $Namespace, 'ip', 'link', 'set', 'otveth1', 'up'),
            @('netns', 'exec', $Namespace, 'ip', 'link', 'set', 'lo', 'up'))
        foreach ($step in $steps) {
            $out = & ip @step 2>&1
            if ($LASTEXITCODE -ne 0) { $script:SetupError = "ip $step failed: $out"; break }
        }
        if (-not $script:SetupError) {
            $script:ServerPort = Get-FreePort
            $script:Server = Start-Process ip -ArgumentList 'netns', 'exec', $Namespace, 'netserver', '-D', '-p', $ServerPort, '-L', $PeerAddress, '-4' -PassThru
            $deadline = (Get-Date).AddSeconds(10)
            while (-not (Test-Listening $ServerPort $PeerAddress) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
        }
    }
    AfterAll {
        if ($script:Server) { $script:Server | Stop-Process -Force -ErrorAction Ignore; $script:Server.WaitForExit(5000) }
        Remove-TwoHost
    }

    It 'measures a netserver on another host over veth' {
        $SetupError | Should -BeNullOrEmpty
        $runs = Measure-NetperfLatency -ComputerName $PeerAddress -Port $ServerPort -TestName TCP_RR, UDP_RR -Iterations 2 -Duration 1 -Label veth -ErrorVariable errs
        $errs | Should -BeNullOrEmpty
        ($runs | Where-Object IterationsCompleted -eq 2 | ForEach-Object { '{0}:{1}' -f $_.TestName, $_.ComputerName }) |
            Should -Be @("TCP_RR:$PeerAddress", "UDP_RR:$PeerAddress")
    }

    It 'is really remote: this host has no listener on that port' {
        $SetupError | Should -BeNullOrEmpty
        Test-Listening $ServerPort | Should -BeFalse
        Test-Listening $ServerPort $PeerAddress | Should -BeTrue
    }
}
