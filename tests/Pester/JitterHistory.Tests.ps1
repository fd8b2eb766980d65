#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Jitter runs join the workflow (issue 18 item 2): Measure-HostJitter -HistoryPath with the real oslat, Import-HostJitterRun,
# Compare-HostJitterRun, Export-LatencyReport's jitter sections (opened in headless chromium) and the nightly example's
# -Jitter. The gates are also driven by a fixture written from a real run (tests/fixtures/rt-tests/hostjitterrun-*.json:
# Measure-HostJitter -Cpu 1 -Duration 2 -AsRun on this VM, its ToJson()). The store's format and the comparison's
# rules are tested in xunit: tests/OnloadTools.Tests/Jitter (JitterHistoryTests, JitterComparerTests).

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:OldRoot = $env:ONLOADTOOLS_HOST_ROOT
    $env:ONLOADTOOLS_HOST_ROOT = $null
    $script:Nightly = "$PSScriptRoot/../../docs/examples/Invoke-NightlyLatencyCheck.ps1"
    $online = @(& {
            foreach ($part in (Get-Content -Raw /sys/devices/system/cpu/online).Trim() -split ',') {
                if ($part -match '^(\d+)-(\d+)$') { [int]$Matches[1]..[int]$Matches[2] } else { [int]$part }
            } })
    $script:OneCpu = @($online | Where-Object { $_ -ne 0 } | Select-Object -First 1)
    if (-not $OneCpu) { $script:OneCpu = @(0) }

    # The recorded real run, with the figures a test needs on its CPU (a copy each time).
    $script:FixtureJson = Get-Content -Raw "$PSScriptRoot/../fixtures/rt-tests/hostjitterrun-oslat-2.40-cpu1.json"
    function script:New-FixtureRun([double] $Maximum = -1, [object] $Tail = 'keep', [int] $Night = 1, [string] $HostName, [double] $Threshold = 20) {
        $run = [OnloadTools.HostJitterRun]::FromJson($FixtureJson)
        $run.RunId = "night$Night-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        $run.StartTime = [datetime]::new(2026, 11, $Night, 2, 0, 0, [DateTimeKind]::Utc)
        $run.EndTime = $run.StartTime.AddSeconds(3)
        if ($HostName) { $run.HostName = $HostName }
        $run.ThresholdMicroseconds = $Threshold
        foreach ($r in $run.Results) {
            $r.RunId = $run.RunId; $r.StartTime = $run.StartTime; $r.HostName = $run.HostName; $r.ThresholdMicroseconds = $Threshold
            if ($Maximum -ge 0) { $r.MaximumMicroseconds = $Maximum }
            if ($Tail -ne 'keep') { $r.P9999Microseconds = $Tail }
            $r.Verdict = if ($r.MaximumMicroseconds -lt $Threshold) { 'Passed' } else { 'Exceeded' }
        }
        $run.MaximumMicroseconds = ($run.Results.MaximumMicroseconds | Measure-Object -Maximum).Maximum
        $run.Verdict = if (@($run.Results | Where-Object Verdict -ne 'Passed').Count) { 'Exceeded' } else { 'Passed' }
        $run
    }
    # A history line as Measure-HostJitter -HistoryPath writes it (the store reads a run's own ToJson() inside).
    function script:Add-HistoryLine([string] $Path, $Run) {
        $line = '{"schemaVersion":1,"kind":"OnloadTools.HostJitterRun","run":' + ($Run.ToJson() -replace '\s*\r?\n\s*', '') + '}'
        Add-Content -LiteralPath $Path -Value $line
    }
    function script:New-LatencyRun([int] $Night = 1) {
        $run = [OnloadTools.LatencyRun]::new()
        $run.Label = 'nightly'; $run.TestName = 'TCP_RR'; $run.Status = 'Completed'
        $run.StartTime = [datetime]::new(2026, 11, $Night, 1, 0, 0, [DateTimeKind]::Utc); $run.EndTime = $run.StartTime.AddMinutes(1)
        $run.Samples = [OnloadTools.LatencySample[]]@(foreach ($i in 1..5) {
                $m = 20 + $i / 10
                [OnloadTools.LatencySample]@{ TestName = 'TCP_RR'; Iteration = $i; Label = 'nightly'; MeanLatency = $m; MinLatency = $m * 0.8
                    P50Latency = $m; P99Latency = $m * 1.5; StdDevLatency = 2; TransactionRate = 1e6 / $m }
            })
        $run
    }
}

AfterAll { $env:ONLOADTOOLS_HOST_ROOT = $script:OldRoot }

Describe 'Jitter runs in the history (real oslat)' {
    BeforeEach { $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N')) }

    It 'round-trips a real run through a folder and a .jsonl history, and Import-LatencyRun leaves it out quietly' {
        $run = Measure-HostJitter -Cpu $OneCpu -Duration 1 -AsRun -HistoryPath $dir
        $lines = "$dir.jsonl"
        $other = Measure-HostJitter -Cpu $OneCpu -Duration 1 -AsRun -HistoryPath $lines
        $latencyRun = New-LatencyRun
        $latencyRun | Export-LatencyRun -Path $dir
        $latencyRun | Export-LatencyRun -Path $lines
        @(Get-ChildItem $dir -Filter '*_jitter_*').Count | Should -Be 1

        $back = @(Import-HostJitterRun $dir)
        $back.Count | Should -Be 1
        $back[0].PSObject.TypeNames[0] | Should -Be 'OnloadTools.HostJitterRun'
        $back[0].ToJson() | Should -Be $run.ToJson() -Because 'every field survives the history'
        $fromLines = @(Import-HostJitterRun -LiteralPath $lines)
        $fromLines.Count | Should -Be 1
        $fromLines[0].ToJson() | Should -Be $other.ToJson()
        @(Import-HostJitterRun $dir, $lines -Last 1).RunId | Should -Be $other.RunId

        $verbose = $latency = $null
        $latency = @(Import-LatencyRun $dir, $lines -Verbose -WarningVariable w -ErrorVariable e 4>&1 | Tee-Object -Variable all | Where-Object { $_ -is [OnloadTools.LatencyRun] })
        $latency.Count | Should -Be 1 -Because 'the one latency run, saved in both places, comes back once'
        $w | Should -BeNullOrEmpty
        $e | Should -BeNullOrEmpty
        $verbose = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'jitter run' })
        $verbose.Count | Should -Be 1
        $verbose[0].Message | Should -Match 'Left out 2 jitter run\(s\).*Import-HostJitterRun'
    }

    It 'refuses an unusable -HistoryPath before anything is measured' {
        $file = Join-Path $TestDrive 'plain-file'
        Set-Content $file 'x'
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $err = { Measure-HostJitter -Cpu $OneCpu -Duration 30 -HistoryPath $file -ErrorAction Stop } | Should -Throw -PassThru
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'HistoryPathIsAFile'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10 -Because 'oslat never ran'
        $err = { Measure-HostJitter -Cpu $OneCpu -Duration 30 -HistoryPath (Join-Path $TestDrive 'one.json') -ErrorAction Stop } | Should -Throw -PassThru
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'HistoryPathNotSupported'
    }

    It 'filters by -HostName and -Tool and keeps the -Last N of each host and tool' {
        $h = Join-Path $TestDrive 'fleet.jsonl'
        foreach ($n in 1..3) { Add-HistoryLine $h (New-FixtureRun -Night $n -HostName lab1) }
        Add-HistoryLine $h (New-FixtureRun -Night 2 -HostName lab2)
        $all = @(Import-HostJitterRun $h)
        $all.Count | Should -Be 4
        @($all.StartTime) | Should -Be @($all.StartTime | Sort-Object) -Because 'oldest first'
        @(Import-HostJitterRun $h -HostName 'lab2').Count | Should -Be 1
        @(Import-HostJitterRun $h -HostName 'LAB*' -Last 1).HostName | Sort-Object | Should -Be @('lab1', 'lab2')
        @(Import-HostJitterRun $h -Tool Cyclictest).Count | Should -Be 0
        @(Import-HostJitterRun $h -Tool Oslat -Last 2 -HostName lab1).StartTime.Day | Should -Be @(2, 3)
        $err = { Import-HostJitterRun (Join-Path $TestDrive 'nothing-here') -ErrorAction Stop } | Should -Throw -PassThru
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'LatencyRunPathNotFound'
    }
}

Describe 'Compare-HostJitterRun' {
    It 'compares two real nights per CPU in a table of 80 columns, and deserialized runs alike' {
        $a = Measure-HostJitter -Cpu $OneCpu -Duration 1 -AsRun
        $b = Measure-HostJitter -Cpu $OneCpu -Duration 1 -AsRun
        $c = @(Compare-HostJitterRun -ReferenceRun $a -DifferenceRun $b)
        $c.Count | Should -Be 1
        $c[0].PSObject.TypeNames[0] | Should -Be 'OnloadTools.HostJitterComparison'
        $c[0].Cpu | Should -Be $OneCpu[0]
        $c[0].ReferenceMaximumMicroseconds | Should -Be $a.Results[0].MaximumMicroseconds
        $c[0].DifferenceMaximumMicroseconds | Should -Be $b.Results[0].MaximumMicroseconds
        $c[0].MaximumChangeMicroseconds | Should -Be ($b.Results[0].MaximumMicroseconds - $a.Results[0].MaximumMicroseconds)
        $c[0].IsExceeded | Should -Be ($b.Results[0].MaximumMicroseconds -ge 20)
        $allowance = [math]::Max(2.0, $a.Results[0].MaximumMicroseconds / 10)
        $c[0].AllowanceMicroseconds | Should -Be $allowance
        $regressed = ($b.Results[0].MaximumMicroseconds - $a.Results[0].MaximumMicroseconds) -gt 1 + $allowance
        if ($null -ne $a.Results[0].P9999Microseconds -and $null -ne $b.Results[0].P9999Microseconds) {
            $tailAllowance = [math]::Max(2.0, $a.Results[0].P9999Microseconds / 10)
            $regressed = $regressed -or (($b.Results[0].P9999Microseconds - $a.Results[0].P9999Microseconds) -gt 1 + $tailAllowance)
        }
        $c[0].IsRegression | Should -Be $regressed
        $c[0].Verdict | Should -Be $(if ($c[0].IsExceeded) { 'Exceeded' } elseif ($regressed) { 'Regressed' } else { 'Passed' })
        $c[0].Basis | Should -BeLike 'Rule, not a test*'
        $c[0].PValue | Should -BeNullOrEmpty
        $text = $c | Out-String -Width 80
        @($text -split "`n" | Where-Object { $_.Length -gt 80 }) | Should -BeNullOrEmpty
        $text | Should -Match 'Ref max'
        $text | Should -Match 'Verdict'
        $text | Should -Match 'rule'

        # Through remoting's serialization at the default depth (SerializationDepth 2 keeps Results as objects).
        $da = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($a))
        $db = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($b))
        $da.PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.HostJitterRun'
        $d = @(Compare-HostJitterRun -ReferenceRun $da -DifferenceRun $db)
        $d[0].Verdict | Should -Be $c[0].Verdict
        $d[0].MaximumChangeMicroseconds | Should -Be $c[0].MaximumChangeMicroseconds
        # The comparison itself survives it too, and keeps its view.
        $dc = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($c[0]))
        ($dc | Out-String -Width 80) | Should -Match 'Ref max'
    }

    It 'gates Exceeded and Regressed on a fixture of a real run' {
        $before = New-FixtureRun -Maximum 5 -Tail 2 -Night 1
        $cpu = $before.Results[0].Cpu
        $cases = @(
            @{ Max = 8; Tail = 2; Verdict = 'Passed'; Metrics = '' }           # +3 µs: the resolution (1) + the margin (2), not beyond
            @{ Max = 9; Tail = 2; Verdict = 'Regressed'; Metrics = 'Maximum' } # +4 µs
            @{ Max = 5; Tail = 6; Verdict = 'Regressed'; Metrics = 'P99.99' }  # the tail, +4 µs
            @{ Max = 25; Tail = 2; Verdict = 'Exceeded'; Metrics = 'Maximum' } # 25 ≥ 20 µs
        )
        foreach ($case in $cases) {
            $after = New-FixtureRun -Maximum $case.Max -Tail $case.Tail -Night 2
            $c = Compare-HostJitterRun -ReferenceRun $before -DifferenceRun $after
            $c.Cpu | Should -Be $cpu
            $c.Verdict | Should -Be $case.Verdict -Because "max 5 -> $($case.Max), P99.99 2 -> $($case.Tail)"
            $c.RegressedMetrics | Should -Be $case.Metrics
        }
        $after = New-FixtureRun -Maximum 9 -Night 2 -Tail 2
        (Compare-HostJitterRun -ReferenceRun $before -DifferenceRun $after -RegressionMargin 3).Verdict | Should -Be 'Passed'
        (Compare-HostJitterRun -ReferenceRun $before -DifferenceRun $after -Threshold 9).Verdict | Should -Be 'Exceeded'
        # Several nights per side: the maxima are tested (PValue), all of tonight's above all of last week's.
        $week = foreach ($n in 1..5) { New-FixtureRun -Maximum (5 + $n % 2) -Tail 2 -Night $n }
        $next = foreach ($n in 6..10) { New-FixtureRun -Maximum (12 + $n % 2) -Tail 2 -Night $n }
        $t = Compare-HostJitterRun -ReferenceRun $week -DifferenceRun $next
        $t.Verdict | Should -Be 'Regressed'
        $t.PValue | Should -BeLessThan 0.05
        $t.Basis | Should -BeLike 'Test:*'
    }

    It 'takes per-CPU results from the pipeline and refuses what is not a jitter run' {
        $before = New-FixtureRun -Maximum 5 -Tail 2
        $after = New-FixtureRun -Maximum 6 -Tail 2 -Night 2
        $c = $after.Results | Compare-HostJitterRun -ReferenceRun $before.Results
        $c.Verdict | Should -Be 'Passed'
        $c.DifferenceRunIds | Should -Be $after.RunId
        $out = @('not a run', $after) | Compare-HostJitterRun -ReferenceRun $before -ErrorVariable e -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 1
        ($e[0].FullyQualifiedErrorId -split ',')[0] | Should -Be 'NotAHostJitterRun'
        $e[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $cyclic = New-FixtureRun -Night 2; $cyclic.Tool = 'cyclictest'; $cyclic.Results | ForEach-Object { $_.Tool = 'cyclictest' }
        $err = { Compare-HostJitterRun -ReferenceRun $before -DifferenceRun $cyclic -ErrorAction Stop } | Should -Throw -PassThru
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'JitterToolMismatch'
        $err = { Compare-HostJitterRun -ReferenceRun 'x' -DifferenceRun $after -ErrorAction Stop } | Should -Throw -PassThru
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NotAHostJitterRun'
    }
}

Describe 'Export-LatencyReport with jitter runs' {
    BeforeAll {
        function script:Get-Dom([string] $Html) {
            $chromium = @('/usr/bin/chromium', '/usr/bin/chromium-browser') | Where-Object { Test-Path $_ } | Select-Object -First 1
            if (-not $chromium) { throw "chromium is not installed: run 'apt-get install -y chromium'." }
            $profile = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
            try {
                (& $chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-dev-shm-usage `
                        "--user-data-dir=$profile" --virtual-time-budget=5000 --dump-dom ([Uri]::new($Html).AbsoluteUri) 2>$null) -join "`n"
            }
            finally { Remove-Item -Recurse -Force $profile -ErrorAction Ignore }
        }
    }

    It 'draws the latest jitter run per CPU against the previous one and the threshold, beside the latency runs' {
        $h = Join-Path $TestDrive 'report-history.jsonl'
        $real = Measure-HostJitter -Cpu $OneCpu -Duration 1 -AsRun -HistoryPath $h
        # The night before on this host and CPU, from the fixture.
        $before = New-FixtureRun -Maximum 5 -Tail 2 -Night 1 -HostName $real.HostName
        $before.Results | ForEach-Object { $_.Cpu = $OneCpu[0] }
        $before.Cpus = "$($OneCpu[0])"
        Add-HistoryLine $h $before
        foreach ($n in 1..2) { New-LatencyRun -Night $n | Export-LatencyRun -Path $h }
        $html = Join-Path $TestDrive 'report.html'
        @(Import-LatencyRun $h) + @(Import-HostJitterRun $h) | Export-LatencyReport -Path $html
        $text = Get-Content -Raw $html
        $text | Should -Match "Jitter: oslat on $([regex]::Escape($real.HostName))"
        $text | Should -Match 'Host differs|every CPU passed|EXCEEDED|REGRESSED'
        $data = ([regex]::Match($text, '<script type="application/json" id="report-data">(.*?)</script>', 'Singleline').Groups[1].Value) | ConvertFrom-Json
        $data.sections.Count | Should -Be 1
        $j = $data.jitterSections
        @($j).Count | Should -Be 1 -Because 'one host and one tool'
        $j[0].cpus | Should -Be @("CPU $($OneCpu[0])")
        $j[0].maximum | Should -Be @($real.Results[0].MaximumMicroseconds)
        $j[0].previousMaximum | Should -Be @(5)
        $j[0].threshold | Should -Be 20
        $j[0].trend.worstMaximum.Count | Should -Be 2
        $data.summary | Should -Match 'Jitter: 2 run\(s\) on 1 host\(s\)'

        $dom = Get-Dom $html
        $dom | Should -Match 'data-report="rendered"'
        $dom | Should -Not -Match 'id="report-errors"'
        $canvases = [regex]::Matches($dom, '<canvas[^>]*>')
        @($canvases | Where-Object { $_.Value -match 'id="jitter-0-(cpus|trend)"' -and $_.Value -match 'data-rendered="true"' }).Count | Should -Be 2
    }

    It 'writes a report of jitter runs alone, and still refuses an input with no run at all' {
        $html = Join-Path $TestDrive 'jitter-only.html'
        New-FixtureRun -Maximum 25 -Tail 2 | Export-LatencyReport -Path $html
        $text = Get-Content -Raw $html
        $text | Should -Match '1 CPU\(s\) EXCEEDED 20 '
        $text | Should -Match 'no earlier run to compare with'
        $err = { Export-LatencyReport -Path $html -InputObject $null -ErrorAction Stop } | Should -Throw -PassThru
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NoLatencyRuns'
    }
}

Describe 'Invoke-NightlyLatencyCheck.ps1 -Jitter' {
    BeforeEach { $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N')) }

    It 'starts the jitter history on a first night (exit 0), and exits 1 when a CPU exceeds its threshold' {
        $null = & $Nightly -HistoryPath $dir -JitterOnly -JitterDuration 1 -JitterCpu $OneCpu -JitterThreshold 1000000 -InformationVariable info -WarningAction SilentlyContinue
        $LASTEXITCODE | Should -Be 0
        $lines = @($info | ForEach-Object { "$_" })
        $lines | Should -HaveCount 1
        $lines[0] | Should -Match "^JITTER CPU $($OneCpu[0]): FIRST NIGHT, ok; max \d+(\.\d+)? us"
        @(Import-HostJitterRun $dir).Count | Should -Be 1

        # oslat's minimum is 1 µs: nothing stays below 1 µs.
        $null = & $Nightly -HistoryPath $dir -JitterOnly -JitterDuration 1 -JitterCpu $OneCpu -JitterThreshold 1 -InformationVariable info2 -WarningAction SilentlyContinue
        $LASTEXITCODE | Should -Be 1
        $lines = @($info2 | ForEach-Object { "$_" })
        $lines[0] | Should -Match "^JITTER CPU $($OneCpu[0]): EXCEEDED 1 us; max "
        $lines | Where-Object { $_ -match 'Ref max' } | Should -HaveCount 1 -Because 'the comparison table follows the lines'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
        @(Import-HostJitterRun $dir).Count | Should -Be 2
    }

    It 'exits 1 when a CPU regressed against the previous night of this host' {
        New-Item -ItemType Directory $dir | Out-Null
        $h = Join-Path $dir 'history.jsonl'
        # Last night on this host: a CPU that never waited (0 µs); any real night beyond the 1 µs resolution regressed.
        $last = New-FixtureRun -Maximum 0 -Tail 0 -HostName (Get-Content -Raw /proc/sys/kernel/hostname).Trim()
        $last.Results | ForEach-Object { $_.Cpu = $OneCpu[0] }
        $last.Cpus = "$($OneCpu[0])"
        Add-HistoryLine $h $last
        $null = & $Nightly -HistoryPath $h -JitterOnly -JitterDuration 1 -JitterCpu $OneCpu -JitterThreshold 1000000 -JitterRegressionMargin 0 -InformationVariable info -WarningAction SilentlyContinue
        $lines = @($info | ForEach-Object { "$_" })
        $LASTEXITCODE | Should -Be 1 -Because ($lines -join "`n")
        $lines[0] | Should -Match "^JITTER CPU $($OneCpu[0]): REGRESSION \((Maximum|P99\.99|Maximum, P99\.99)\); max 0 -> "
        $lines | Where-Object { $_ -match 'Regressed\s+rule$' } | Should -Match '\b1000000\b' -Because 'the table shows the limit whole'
        ($lines -join "`n") | Should -Not -Match '…'
    }

    It 'exits 2 for bad jitter arguments, before anything is measured' {
        foreach ($bad in @(@{ Jitter = $true; JitterDuration = 'abc' }, @{ Jitter = $true; JitterTool = 'Hwlatdetect' }, @{ JitterDuration = 5 }, @{ Jitter = $true; JitterCpu = 'x' })) {
            $null = & $Nightly -HistoryPath $dir @bad -ErrorAction SilentlyContinue -InformationAction SilentlyContinue
            $LASTEXITCODE | Should -Be 2 -Because ($bad | Out-String)
        }
        Test-Path $dir | Should -BeFalse
    }

    It 'shares Write-Line, Exit-Broken and ConvertTo-Checked with the fleet script through LatencyVerdictLines.ps1, defined once' {
        $examples = "$PSScriptRoot/../../docs/examples"
        $defined = @{}
        foreach ($f in Get-ChildItem $examples -Filter *.ps1) {
            $ast = [System.Management.Automation.Language.Parser]::ParseFile($f.FullName, [ref] $null, [ref] $null)
            foreach ($fn in $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true)) {
                $defined[$fn.Name] = @($defined[$fn.Name]) + $f.Name | Where-Object { $_ }
            }
        }
        foreach ($name in 'Write-Line', 'Exit-Broken', 'ConvertTo-Checked', 'Write-Wrapped', 'Get-Verdict', 'Get-JitterVerdict') {
            $defined[$name] | Should -Be 'LatencyVerdictLines.ps1' -Because "$name is written once"
        }
    }
}
