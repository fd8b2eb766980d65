#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Measure-HostJitter with the real oslat and cyclictest (rt-tests, root for SCHED_FIFO), runs of 1-2 s. The figures
# are checked against the tool's own --json of the same run, read here with ConvertFrom-Json. (The parsers of rt-tests
# outputs, percentiles and argument lists are tested in xunit: tests/OnloadTools.Tests/Jitter.)

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:OldPath = $env:PATH
    $script:OldRoot = $env:ONLOADTOOLS_HOST_ROOT
    $env:ONLOADTOOLS_HOST_ROOT = $null
    $script:Online = @(& {
            foreach ($part in (Get-Content -Raw /sys/devices/system/cpu/online).Trim() -split ',') {
                if ($part -match '^(\d+)-(\d+)$') { [int]$Matches[1]..[int]$Matches[2] } else { [int]$part }
            } })
    # One CPU other than 0 where there is one: the tool's main thread stays on CPU 0.
    $script:OneCpu = @($Online | Where-Object { $_ -ne 0 } | Select-Object -First 1)
    if (-not $OneCpu) { $script:OneCpu = @(0) }
    $script:TwoCpus = @($Online | Select-Object -First 2)

    function script:Get-ProcessWithArgument([string] $Name, [string] $Argument) {
        Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | ForEach-Object {
            $argv = try { (Get-Content -Raw -LiteralPath "$($_.FullName)/cmdline" -ErrorAction Stop) -split "`0" } catch { @() }
            if ($argv.Count -gt 0 -and (Split-Path -Leaf $argv[0]) -eq $Name -and $argv -contains $Argument) { [int]$_.Name }
        }
    }
}

AfterAll {
    $env:PATH = $script:OldPath
    $env:ONLOADTOOLS_HOST_ROOT = $script:OldRoot
}

Describe 'Measure-HostJitter with the real rt-tests' {
    BeforeAll {
        if (-not (Get-Command oslat -ErrorAction Ignore)) { throw 'oslat is not installed: apt-get install rt-tests (the CI installs it in .ci/run).' }
    }

    It 'oslat: one result per CPU whose figures are the tool''s own JSON of the same run' {
        $run = Measure-HostJitter -Cpu $OneCpu -Duration 2 -AsRun
        $run.PSObject.TypeNames[0] | Should -Be 'OnloadTools.HostJitterRun'
        $run.Tool | Should -Be 'oslat'
        $run.Source | Should -Be 'json'
        $run.ToolVersion | Should -Match '^\d+\.\d+'
        $run.CommandLine | Should -BeLike "oslat --cpu-list=$($OneCpu[0]) --duration=2 --rtprio=1 *--json=*"
        $json = $run.ToolReport | ConvertFrom-Json -AsHashtable
        $json['thread'].Count | Should -Be 1
        $t = $json['thread']['0']
        @($run.Results).Count | Should -Be 1
        $r = $run.Results[0]
        $r.Cpu | Should -Be $t['cpu']
        $r.Cpu | Should -Be $OneCpu[0]
        $r.MinimumMicroseconds | Should -Be $t['min']
        $r.AverageMicroseconds | Should -Be $t['avg']
        $r.MaximumMicroseconds | Should -Be $t['max']
        $r.DurationSeconds | Should -Be $t['duration']
        $r.Samples | Should -Be ($t['histogram'].Values | Measure-Object -Sum).Sum
        $r.Histogram | Should -Be (($t['histogram'].GetEnumerator() | Sort-Object { [int]$_.Key } | ForEach-Object { "$($_.Key):$($_.Value)" }) -join ',')
        $r.Verdict | Should -Be $(if ($t['max'] -lt 20) { 'Passed' } else { 'Exceeded' })
        $run.Verdict | Should -Be $r.Verdict
        $run.MaximumMicroseconds | Should -Be $t['max']
        $run.HostName | Should -Not -BeNullOrEmpty
        $run.KernelRelease | Should -Be (Get-Content -Raw /proc/sys/kernel/osrelease).Trim()
    }

    It 'cyclictest: every thread''s CPU, minimum, average, maximum and wake-ups as its JSON says' {
        $results = @(Measure-HostJitter -Tool Cyclictest -Cpu $TwoCpus -Duration 2 -AsRun)
        $run = $results[0]
        $run.Tool | Should -Be 'cyclictest'
        $run.CommandLine | Should -BeLike "cyclictest --duration=2 --priority=1 --threads=$($TwoCpus.Count) --affinity=* --interval=1000 --distance=0 --histogram=100 *"
        $json = $run.ToolReport | ConvertFrom-Json -AsHashtable
        $threads = @($json['thread'].Values | Sort-Object { $_['cpu'] })
        @($run.Results.Cpu) | Should -Be @($threads | ForEach-Object { $_['cpu'] })
        @($run.Results.Cpu) | Should -Be $TwoCpus
        for ($i = 0; $i -lt $threads.Count; $i++) {
            $r = $run.Results[$i]; $t = $threads[$i]
            $r.MinimumMicroseconds | Should -Be $t['min']
            $r.AverageMicroseconds | Should -Be $t['avg']
            $r.MaximumMicroseconds | Should -Be $t['max']
            $r.Samples | Should -Be $t['cycles']
            $r.Overflows | Should -Be ($t['cycles'] - ($t['histogram'].Values | Measure-Object -Sum).Sum)
            $r.HistogramLimitMicroseconds | Should -Be 99
        }
    }

    It 'the threshold gate passes a maximum below it and fails one at or above it' {
        $loose = @(Measure-HostJitter -Cpu $OneCpu -Duration 1 -Threshold 1000000)
        $loose.Count | Should -Be 1
        $loose[0].PSObject.TypeNames[0] | Should -Be 'OnloadTools.HostJitterResult'
        $loose[0].MaximumMicroseconds | Should -BeLessThan 1000000
        $loose[0].Verdict | Should -Be 'Passed'
        # oslat's minimum is 1 µs: nothing stays below 1 µs.
        $strict = Measure-HostJitter -Cpu $OneCpu -Duration 1 -Threshold 1 -AsRun
        $strict.Verdict | Should -Be 'Exceeded'
        $strict.Results[0].Verdict | Should -Be 'Exceeded'
        $strict.Results[0].ThresholdMicroseconds | Should -Be 1
    }

    It 'shows progress with the time remaining' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$Manifest'; Measure-HostJitter -Cpu $($OneCpu[0]) -Duration 2 -Priority 0")
            $out = $ps.Invoke()
            @($out).Count | Should -Be 1
            $records = @($ps.Streams.Progress | Where-Object { $_.Activity -eq 'Measure-HostJitter' -and $_.RecordType -eq 'Processing' })
            $records.Count | Should -BeGreaterThan 0
            $records[0].SecondsRemaining | Should -BeGreaterThan 0
            $records[0].StatusDescription | Should -Match 'oslat on CPU'
        }
        finally { $ps.Dispose() }
    }

    It 'Ctrl+C kills the tool at once and emits nothing' {
        $sink = [System.Collections.ArrayList]::new()
        $ps = [powershell]::Create()
        $null = $ps.AddScript("param(`$sink) Import-Module '$Manifest'; Measure-HostJitter -Cpu $($OneCpu[0]) -Duration 40 -Priority 0 | ForEach-Object { `$null = `$sink.Add(`$_) }").AddArgument($sink)
        try {
            $async = $ps.BeginInvoke()
            $pids = @()
            foreach ($i in 1..100) { $pids = @(Get-ProcessWithArgument 'oslat' '--duration=40'); if ($pids) { break }; Start-Sleep -Milliseconds 100 }
            $pids.Count | Should -Be 1
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            foreach ($i in 1..50) { if (-not (Test-Path "/proc/$($pids[0])")) { break }; Start-Sleep -Milliseconds 100 }
            Test-Path "/proc/$($pids[0])" | Should -BeFalse
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
            $sink.Count | Should -Be 0
        }
        finally { $ps.Dispose() }
    }

    It 'a missing tool is NotInstalled naming the rt-tests package' {
        $env:PATH = '/nonexistent'
        try {
            $err = { Measure-HostJitter -Cpu $OneCpu -Duration 1 -ErrorAction Stop } | Should -Throw -PassThru
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'OslatNotInstalled'
            $err.CategoryInfo.Category | Should -Be 'NotInstalled'
            $err.TargetObject | Should -Be 'oslat'
            $err.Exception.Message | Should -Match 'realtime-tests'
            $err = { Measure-HostJitter -Tool Cyclictest -Cpu $OneCpu -Duration 1 -ErrorAction Stop } | Should -Throw -PassThru
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'CyclictestNotInstalled'
        }
        finally { $env:PATH = $OldPath }
    }

    It 'a CPU that is not online is InvalidArgument before anything runs' {
        $err = { Measure-HostJitter -Cpu 4095 -Duration 1 -ErrorAction Stop } | Should -Throw -PassThru
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'CpuNotOnline'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        @($err.TargetObject) | Should -Be @(4095)
    }

    It 'hwlatdetect says so where the kernel offers no hwlat tracer' {
        $tracers = @('/sys/kernel/tracing/available_tracers', '/sys/kernel/debug/tracing/available_tracers') |
            Where-Object { Test-Path $_ } | ForEach-Object { (Get-Content -Raw $_) -split '\s+' }
        if ($tracers -contains 'hwlat') { Set-ItResult -Skipped -Because 'this kernel offers the hwlat tracer (a physical host)'; return }
        $err = { Measure-HostJitter -Tool Hwlatdetect -Duration 1 -ErrorAction Stop } | Should -Throw -PassThru
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'HwlatTracerUnavailable'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.Message | Should -Match 'hwlat tracer|not mounted'
    }

    It 'results and runs survive serialization as for Invoke-Command, and the run its JSON' {
        $run = Measure-HostJitter -Cpu $OneCpu -Duration 1 -AsRun
        $d = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($run, 2))
        $d.PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.HostJitterRun'
        $d.MaximumMicroseconds | Should -Be $run.MaximumMicroseconds
        $d.Results[0].Verdict | Should -Be $run.Results[0].Verdict
        ($d | Format-Table | Out-String -Width 80) | Should -Match 'oslat'
        $back = [OnloadTools.HostJitterRun]::FromJson($run.ToJson())
        $back.Results[0].MaximumMicroseconds | Should -Be $run.Results[0].MaximumMicroseconds
        ($run.ToJson() | ConvertFrom-Json).SchemaVersion | Should -Be 1
    }

    It 'the default table fits 80 columns' {
        $text = Measure-HostJitter -Cpu $TwoCpus -Duration 1 | Out-String -Width 80
        @($text -split "`n" | Where-Object { $_.Length -gt 80 }) | Should -BeNullOrEmpty
        $text | Should -Match 'Verdict'
        $text | Should -Match 'Max µs'
    }
}
