<#
.SYNOPSIS
    Nightly latency check: measure tonight, add it to the run history, compare it with a baseline, and tell cron
    by the exit code whether the night was ordinary (0), regressed (1), the job itself broke (2) or the night could
    not have seen a regression (3). With -Jitter, the host's jitter per CPU too.

.DESCRIPTION
    1. Reads the history (a folder of run files, or a .jsonl file) before measuring.
    2. Measures tonight with Measure-NetperfLatency (or takes already measured runs from -TonightRun).
       With a history folder the runs are saved after every iteration (Measure-NetperfLatency -HistoryPath), so a
       crash or Ctrl+C loses nothing; with a .jsonl history they are appended by Export-LatencyRun.
       A failed iteration is reported and the night goes on: the next iterations and the next tests are still
       measured, and the run is saved with Status Partial.
    3. Picks the baseline of each test:
         -Baseline Median (default): Select-LatencyBaseline -Count -BaselineCount over the completed runs of that
           test with the same label — of the last -BaselineCount runs, the run whose mean latency is the median
           (the lower middle for an even count). This is the module's one baseline rule; Export-LatencyReport uses
           the same rule for a history (its -BaselineCount), so the report compares the same two runs and shows the
           same numbers as this script. The baseline is a real run, and one bad night cannot move it.
         -Baseline <RunId>[, <RunId> …]: these runs (a RunId prefix is enough), each for its own test.
    4. Compare-LatencyRun baseline vs tonight; writes the comparisons (objects: in cron's log, the module's
       80-column verdict table) and, for each test, ONE verdict line of at most 80 characters on the information
       stream (stdout of pwsh -File, so in cron's log), with the lead metric (the regressed one, else Mean), its
       relative difference and its confidence interval at the comparison's level (the same numbers as the objects,
       the table and Export-LatencyReport):
         TCP_RR: ok, Equivalent; Mean 20.05 -> 20.11 us (+0.3 %, 95% CI -1.2..+1.8 %)
         UDP_RR: REGRESSION; Mean 20.05 -> 25.06 us (+25.0 %, 95% CI +20.1..+30.2 %)
         TCP_RR: UNDECIDED (could detect only ±70.5 %); Mean 95% CI -64.0..+77.0 %
         UDP_RR: FIRST NIGHT, no baseline yet; run 3f9c2a1b starts the history
         UDP_RR: BROKEN, nothing measured
       UNDECIDED: the test did not regress, but the half-width of its interval is at least -RegressionThreshold
       (or the interval is unbounded), so a regression of that size could not have been detected: never "ok".
       Measure longer (-Duration) or more often (-Iterations). Warnings are wrapped to 80 columns, and a log that
       is not a terminal gets no colour escape sequences.
    5. With -Jitter: measures the host's jitter after the latency (Measure-HostJitter -AsRun -HistoryPath, oslat by
       default, on the isolated CPUs unless -JitterCpu says otherwise), saves the run to the same history, and compares
       it CPU by CPU with the previous night's run of this host and tool (Compare-HostJitterRun: the threshold gate,
       and a regression of the maximum or the P99.99 tail beyond the tool's 1 µs resolution plus the allowance). One
       line per CPU:
         JITTER CPU 3: ok; max 9 -> 10 us (+1), P99.99 2 -> 2 us, limit 20 us
         JITTER CPU 3: REGRESSION (Maximum); max 5 -> 12 us (+7 > 1+2), limit 20 us
         JITTER CPU 3: EXCEEDED 20 us; max 9 -> 31 us (+22), P99.99 2 -> 3 us
         JITTER CPU 3: FIRST NIGHT, ok; max 9 us, P99.99 2 us, limit 20 us
       then the comparisons as the module's table. A CPU that EXCEEDED its threshold or REGRESSED makes the night
       exit 1 (a first night is gated by the threshold alone). One maximum per CPU per night cannot be tested, so
       "regressed" is a rule, not a statistical finding: see Compare-HostJitterRun.
    6. Exits with the job's verdict.

    EXIT CODES
      0  an ordinary night: every test was measured and none regressed (a first night without a baseline is 0).
      1  a regression: some test is significantly slower than its baseline by more than -RegressionThreshold %;
         or, with -Jitter, some CPU's maximum reached -JitterThreshold, or its maximum or tail regressed against the
         previous night.
      2  the job itself broke: bad arguments, the OnloadTools module missing, netperf or the netserver
         unreachable (a test measured nothing), the history not writable, an ambiguous -Baseline; with -Jitter,
         the jitter tool missing or failing (JITTER: BROKEN).
      3  undecided: nothing regressed and nothing broke, but some test's interval was too wide to detect a
         regression of -RegressionThreshold % (its line says UNDECIDED): the night is not a verdict either way.
      2 wins over 1 (a night that did not measure everything is not a verdict), and 1 over 3 (a regression found
      is reported even when another test was undecided).

    Uses only core cmdlets and OnloadTools cmdlets, so it runs in any PowerShell 7.4+ host. The parameters are
    checked by the script itself (not by PowerShell's binder), so that a bad argument is exit code 2, not 1.

.PARAMETER HistoryPath
    A history folder (one JSON file per run) or a .jsonl file. Required.

.PARAMETER Baseline
    'Median' (the default: Select-LatencyBaseline over the last -BaselineCount runs), or one or more RunIds
    (prefixes allowed).

.PARAMETER BaselineCount
    The median baseline is taken over the last N completed runs of each test (1-1000, default 7).

.PARAMETER Duration
    Seconds per netperf iteration (1-86400, default 10).

.PARAMETER Iterations
    Iterations per test (1-1000, default 5).

.PARAMETER TestName
    TCP_RR, UDP_RR and/or TCP_CRR (default TCP_RR and UDP_RR).

.PARAMETER Label
    The label tonight's runs get and the median baseline is chosen from (default nightly).

.PARAMETER ComputerName
    The netserver host; default: this host (a private netserver on loopback).

.PARAMETER Port
    The netserver's control port (1-65535; default netperf's 12865).

.PARAMETER Onload
    Measure with netperf under onload.

.PARAMETER EquivalenceMargin
    ± % inside which the whole confidence interval must lie for Equivalent (0.1-100, default 5; Compare-LatencyRun's range).

.PARAMETER RegressionThreshold
    % slowdown the whole confidence interval must exceed for a regression (0-1000, default 5).

.PARAMETER TonightRun
    Runs already measured tonight (for example on another host via Invoke-Command): no latency measurement is made.

.PARAMETER Jitter
    Also measure the host's jitter (Measure-HostJitter) and gate it per CPU (see step 5 and the exit codes).

.PARAMETER JitterOnly
    Measure only the host's jitter, no latency (implies -Jitter).

.PARAMETER JitterTool
    Oslat (default) or Cyclictest.

.PARAMETER JitterDuration
    Seconds of jitter measurement (1-604800, default 60).

.PARAMETER JitterThreshold
    µs each CPU's maximum must stay below (default 20, cnf-tests' MAXIMUM_LATENCY).

.PARAMETER JitterCpu
    The CPUs to measure (default: the host's isolated CPUs, else every online CPU but CPU 0).

.PARAMETER JitterRegressionMargin
    µs a CPU's maximum or tail must grow by, beyond the tool's 1 µs resolution, to be a regression (default 2; 10 % of
    the previous value when that is larger).

.EXAMPLE
    POWERSHELL_TELEMETRY_OPTOUT=1 pwsh -NoProfile -File Invoke-NightlyLatencyCheck.ps1 -HistoryPath /var/lib/onload-latency -Duration 30 -Iterations 10 >> /var/log/onload-latency.log 2>&1
    # cron/systemd timer: 0 ordinary, 1 regression, 2 the job broke, 3 undecided (measure longer). (PowerShell's telemetry would wake pwsh while
    # netperf measures: opt out before pwsh starts.)

.EXAMPLE
    ./Invoke-NightlyLatencyCheck.ps1 -HistoryPath ./history.jsonl -Baseline 3f9c2a1b -TestName TCP_RR

.EXAMPLE
    ./Invoke-NightlyLatencyCheck.ps1 -HistoryPath /var/lib/onload-latency -Jitter -JitterDuration 600
    # latency and jitter in one history; exit 1 when a test regressed or a CPU exceeded 20 us or regressed.
.NOTES
Needs LatencyVerdictLines.ps1 (the verdict lines, the log's lines and the argument checks, shared by the nightly and
fleet scripts) in the same folder: copy both files.
#>
[CmdletBinding()]
param(
    [string] $HistoryPath,
    [string[]] $Baseline = @('Median'),
    [object] $BaselineCount = 7,
    [object] $Duration = 10,
    [object] $Iterations = 5,
    [string[]] $TestName = @('TCP_RR', 'UDP_RR'),
    [string] $Label = 'nightly',
    [string] $ComputerName,
    [object] $Port,
    [switch] $Onload,
    [object] $EquivalenceMargin = 5,
    [object] $RegressionThreshold = 5,
    [object[]] $TonightRun,
    [switch] $Jitter,
    [switch] $JitterOnly,
    [string] $JitterTool = 'Oslat',
    [object] $JitterDuration = 60,
    [object] $JitterThreshold = 20,
    [object[]] $JitterCpu,
    [object] $JitterRegressionMargin = 2,
    # Anything else on the command line is a bad argument (exit 2), not a binder error (exit 1).
    [Parameter(ValueFromRemainingArguments)]
    [object[]] $UnknownArgument
)

Set-StrictMode -Version 3.0
# Errors are handled where they happen: a non-terminating error (one failed iteration) must not end the night.
$ErrorActionPreference = 'Continue'

# ---- the log: plain text, lines of at most 80 columns ----
# A log that is not a terminal (cron: pwsh -File … >> log 2>&1) gets no colour escapes around warnings and errors;
# the caller's setting comes back when the script ends (the finally at the end, which exit runs too).
$savedRendering = $PSStyle.OutputRendering
if ([Console]::IsOutputRedirected -or [Console]::IsErrorRedirected) { $PSStyle.OutputRendering = 'PlainText' }
try {

    # The verdict lines and the job's plumbing (Get-Verdict, Get-JitterVerdict, Write-Line, Write-Wrapped, Exit-Broken,
    # ConvertTo-Checked, Format-Percent, Get-Precision, Get-First): one file for both scripts.
    . (Join-Path $PSScriptRoot 'LatencyVerdictLines.ps1')

    # ---- 0. the job's own failures: exit 2 ----
    if ($UnknownArgument) { Exit-Broken "Unknown argument(s): $($UnknownArgument -join ' ')." 'BadArgument' $UnknownArgument }
    if ([string]::IsNullOrWhiteSpace($HistoryPath)) { Exit-Broken '-HistoryPath is required (a history folder or a .jsonl file).' 'BadArgument' $null }
    $BaselineCount = ConvertTo-Checked BaselineCount $BaselineCount ([int]) 1 1000
    $Duration = ConvertTo-Checked Duration $Duration ([int]) 1 86400
    $Iterations = ConvertTo-Checked Iterations $Iterations ([int]) 1 1000
    $EquivalenceMargin = ConvertTo-Checked EquivalenceMargin $EquivalenceMargin ([double]) 0.1 100
    $RegressionThreshold = ConvertTo-Checked RegressionThreshold $RegressionThreshold ([double]) 0 1000
    if ($PSBoundParameters.ContainsKey('Port')) { $Port = ConvertTo-Checked Port $Port ([int]) 1 65535 }
    $TestName = @($TestName | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
    foreach ($t in $TestName) {
        if ($t -notin 'TCP_RR', 'UDP_RR', 'TCP_CRR') { Exit-Broken "-TestName '$t' is not one of TCP_RR, UDP_RR, TCP_CRR." 'BadArgument' $t }
    }
    if (-not $Label) { Exit-Broken '-Label must not be empty.' 'BadArgument' $Label }
    if (@($Baseline).Count -eq 0 -or @($Baseline | Where-Object { -not $_ }).Count -gt 0) { Exit-Broken '-Baseline must be Median or RunIds.' 'BadArgument' $Baseline }
    if ($JitterOnly) { $Jitter = [switch]::Present }
    if ($Jitter) {
        $JitterDuration = ConvertTo-Checked JitterDuration $JitterDuration ([int]) 1 604800
        $JitterThreshold = ConvertTo-Checked JitterThreshold $JitterThreshold ([double]) 0.001 1000000
        $JitterRegressionMargin = ConvertTo-Checked JitterRegressionMargin $JitterRegressionMargin ([double]) 0 1000000
        if ($JitterTool -notin 'Oslat', 'Cyclictest') { Exit-Broken "-JitterTool '$JitterTool' is not Oslat or Cyclictest." 'BadArgument' $JitterTool }
        $JitterCpu = @($JitterCpu | ForEach-Object { "$_" -split ',' } | Where-Object { $_ } | ForEach-Object { ConvertTo-Checked JitterCpu $_ ([int]) 0 8191 })
    }
    elseif ($PSBoundParameters.Keys | Where-Object { $_ -like 'Jitter?*' }) {
        Exit-Broken "-$(@($PSBoundParameters.Keys | Where-Object { $_ -like 'Jitter?*' })[0]) needs -Jitter." 'BadArgument' $null
    }

    if (-not (Get-Command Select-LatencyBaseline -ErrorAction Ignore)) {
        try { Import-Module OnloadTools -ErrorAction Stop }
        catch { Exit-Broken "The OnloadTools module cannot be loaded: $($_.Exception.Message)" 'ModuleMissing' 'OnloadTools' }
    }

    $HistoryPath = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($HistoryPath)
    $isLines = $HistoryPath.EndsWith('.jsonl', [StringComparison]::OrdinalIgnoreCase)

    # ---- 1. the history as it was before tonight ----
    $history = @()
    if ([IO.Directory]::Exists($HistoryPath) -or [IO.File]::Exists($HistoryPath)) {
        # A corrupt file is reported but does not stop the check.
        $history = @(Import-LatencyRun -LiteralPath $HistoryPath -ErrorAction Continue -WarningAction SilentlyContinue -WarningVariable readWarnings)
        foreach ($w in $readWarnings) { Write-Wrapped $w.Message }
    }

    # ---- 2. tonight ----
    $broken = [System.Collections.Generic.List[string]]::new()
    if ($JitterOnly) {
        $tonight = @(); $TestName = @()
    }
    elseif ($PSBoundParameters.ContainsKey('TonightRun')) {
        try { $tonight = @($TonightRun | Export-LatencyRun -Path $HistoryPath -PassThru -ErrorAction Stop) }
        catch { Exit-Broken "Cannot add tonight's runs to $($HistoryPath): $($_.Exception.Message)" 'HistoryWriteFailed' $HistoryPath }
        $TestName = @($tonight | ForEach-Object TestName)
    }
    else {
        $measure = @{ TestName = $TestName; Duration = $Duration; Iterations = $Iterations; Label = $Label }
        if ($ComputerName) { $measure.ComputerName = $ComputerName }
        if ($PSBoundParameters.ContainsKey('Port')) { $measure.Port = $Port }
        if ($Onload) { $measure.Onload = $true }
        if (-not $isLines) { $measure.HistoryPath = $HistoryPath }
        # -ErrorAction Continue: a failed iteration is written (to stderr in cron's log) and the night goes on.
        $measureErrors = $null
        try {
            # Its warnings (a failed iteration, Onload not mapped …) come after the measurement, wrapped to 80 columns.
            $tonight = @(Measure-NetperfLatency @measure -ErrorAction Continue -ErrorVariable measureErrors -WarningAction SilentlyContinue -WarningVariable measureWarnings)
        }
        catch {
            # A terminating error: netperf missing, the private netserver cannot start, a bad interface …
            Exit-Broken "Measure-NetperfLatency failed: $($_.Exception.Message)" $_.FullyQualifiedErrorId $_.TargetObject
        }
        foreach ($w in $measureWarnings) { Write-Wrapped $w.Message }
        if ($isLines -and $tonight.Count -gt 0) {
            try { $tonight | Export-LatencyRun -Path $HistoryPath -ErrorAction Stop }
            catch { Exit-Broken "Cannot add tonight's runs to $($HistoryPath): $($_.Exception.Message)" 'HistoryWriteFailed' $HistoryPath }
        }
        foreach ($run in $tonight | Where-Object { $_.IterationsFailed -gt 0 }) {
            Write-Wrapped "$($run.TestName): $($run.IterationsFailed) of $($run.IterationsRequested) iteration(s) failed; the run is compared on the $($run.IterationsCompleted) that completed."
        }
    }
    $tonightIds = @($tonight | ForEach-Object RunId)
    $history = @($history | Where-Object { $tonightIds -notcontains $_.RunId })

    # ---- 3. baselines ----
    function Select-Baseline([string] $Test) {
        $sameTest = @($history | Where-Object { $_.TestName -eq $Test })
        if ($Baseline.Count -eq 1 -and $Baseline[0] -eq 'Median') {
            # The module's one baseline rule (also Export-LatencyReport's): see Select-LatencyBaseline.
            return Get-First @($sameTest | Where-Object { $_.Label -eq $Label } | Select-LatencyBaseline -Count $BaselineCount)
        }
        foreach ($id in $Baseline) {
            $match = @($sameTest | Where-Object { $_.RunId -eq $id })
            if ($match.Count -eq 0) { $match = @($sameTest | Where-Object { $_.RunId.StartsWith($id, [StringComparison]::OrdinalIgnoreCase) }) }
            if ($match.Count -gt 1) {
                Exit-Broken "Baseline '$id' matches $($match.Count) $Test runs ($(($match | ForEach-Object RunId) -join ', ')): give more of the RunId." 'AmbiguousBaseline' $id
            }
            if ($match.Count -eq 1) { return $match[0] }
        }
        return $null
    }


    function Format-Verdict([string] $Test, [string] $Text) {
        # One line per test, at most 80 characters, for a log read on a terminal or in a mail.
        $line = "${Test}: $Text"
        if ($line.Length -gt 80) { $line = $line.Substring(0, 77) + '...' }
        $line
    }

    # ---- 4. compare ----
    $regressions = 0
    $undecided = 0
    foreach ($test in $TestName) {
        $run = Get-First @($tonight | Where-Object TestName -eq $test)
        if ($null -eq $run) {
            $broken.Add($test)
            Write-Line (Format-Verdict $test 'BROKEN, nothing measured (see the errors above)')
            continue
        }
        $base = Select-Baseline $run.TestName
        if ($null -eq $base) {
            Write-Wrapped "$($run.TestName): no baseline in $HistoryPath yet ($($Baseline -join ', ')); tonight's run $($run.RunId) starts the history."
            Write-Line (Format-Verdict $test "FIRST NIGHT, no baseline yet; run $($run.RunId.Substring(0, 8)) starts the history")
            continue
        }
        $PSCmdlet.WriteVerbose("$($run.TestName): baseline is run $($base.RunId) of $($base.StartTime.ToString('u')).")
        $comparisons = @(Compare-LatencyRun -ReferenceRun $base -DifferenceRun $run `
                -EquivalenceMargin $EquivalenceMargin -RegressionThreshold $RegressionThreshold -WarningAction SilentlyContinue -WarningVariable compareWarnings)
        foreach ($w in $compareWarnings) { Write-Wrapped $w.Message }
        foreach ($c in @($comparisons | Where-Object IsRegression)) {
            $ci = if ($null -ne $c.ConfidenceIntervalLow -and $null -ne $c.ConfidenceIntervalHigh) { '{0}..{1} %' -f (Format-Percent $c.ConfidenceIntervalLow), (Format-Percent $c.ConfidenceIntervalHigh) } else { 'unbounded' }
            Write-Wrapped ('REGRESSION {0} {1}: {2:0.##} -> {3:0.##} {4} ({5} %, {6:0.#}% CI {7}, p {8:0.####}) against run {9}' -f
                $c.TestName, $c.Metric, $c.ReferenceValue, $c.DifferenceValue, $(if ($c.Unit -eq 'µs') { 'us' } else { $c.Unit }),
                (Format-Percent $c.DeltaPercent), ($c.ConfidenceLevel * 100), $ci, $c.PValue, $base.RunId)
        }
        $verdict = Get-Verdict $test $comparisons $RegressionThreshold
        switch ($verdict.Kind) { 'Regression' { $regressions++ } 'Undecided' { $undecided++ } }
        Write-Line $verdict.Line
        $comparisons
    }

    # ---- 4b. the host's jitter (-Jitter): measured after the latency (oslat busy-loops the CPUs it measures), saved to
    # the same history, compared CPU by CPU with the previous night's run of this host and tool ----
    if ($Jitter) {
        $jitterHistory = @()
        if ([IO.Directory]::Exists($HistoryPath) -or [IO.File]::Exists($HistoryPath)) {
            # Import-HostJitterRun reads the files as Import-LatencyRun did above, which reported their problems already.
            $jitterHistory = @(Import-HostJitterRun -LiteralPath $HistoryPath -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
        }
        $measureJitter = @{ Tool = $JitterTool; Duration = $JitterDuration; Threshold = $JitterThreshold; AsRun = $true; HistoryPath = $HistoryPath }
        if ($JitterCpu.Count -gt 0) { $measureJitter.Cpu = $JitterCpu }
        $jitterRun = $null
        $jitterErrors = $null
        try {
            $jitterRun = Measure-HostJitter @measureJitter -ErrorAction Continue -ErrorVariable jitterErrors
        }
        catch {
            # A terminating error: oslat missing, a CPU that is not online, the tool refused SCHED_FIFO …
            $PSCmdlet.WriteError($_)
        }
        if ($jitterErrors | Where-Object { $_.FullyQualifiedErrorId -like 'HistoryWriteFailed*' }) {
            Exit-Broken "Cannot add tonight's jitter run to $($HistoryPath): $(@($jitterErrors)[0].Exception.Message)" 'HistoryWriteFailed' $HistoryPath
        }
        if ($null -eq $jitterRun) {
            $broken.Add('jitter')
            Write-Line 'JITTER: BROKEN, nothing measured (see the errors above)'
        }
        else {
            $previous = Get-First @($jitterHistory | Where-Object { $_.HostName -eq $jitterRun.HostName -and $_.Tool -eq $jitterRun.Tool -and $_.RunId -ne $jitterRun.RunId } |
                    Sort-Object StartTime -Descending)
            $jitterComparisons = @()
            if ($null -eq $previous) {
                Write-Wrapped "Jitter: no earlier $($jitterRun.Tool) run of $($jitterRun.HostName) in $HistoryPath yet; tonight's run $($jitterRun.RunId) starts the history (the threshold gate still applies)."
                $jitterLines = @(foreach ($r in $jitterRun.Results) { Get-JitterVerdict $r -First })
            }
            else {
                $PSCmdlet.WriteVerbose("Jitter: the previous night is run $($previous.RunId) of $($previous.StartTime.ToString('u')).")
                $jitterComparisons = @(Compare-HostJitterRun -ReferenceRun $previous -DifferenceRun $jitterRun -RegressionMargin $JitterRegressionMargin)
                $jitterLines = @(foreach ($c in $jitterComparisons) { Get-JitterVerdict $c })
            }
            foreach ($v in $jitterLines) {
                if ($v.Kind -ne 'Ok') { $regressions++ }
                Write-Line $v.Line
            }
            # The comparisons as the module's 80-column table, in the log (not as objects: a second type of object on
            # the output would turn the latency comparisons' table into lists).
            if ($jitterComparisons.Count -gt 0) {
                foreach ($l in (($jitterComparisons | Format-Table | Out-String -Width 80) -split "`r?`n" | Where-Object { $_.Trim() })) { Write-Line $l }
            }
        }
    }

    # ---- 5. the job's verdict ----
    if ($broken.Count -gt 0) {
        Write-Line "JOB BROKEN: nothing measured for $($broken -join ', ') (exit 2)"
        exit 2
    }
    if ($regressions -gt 0) { exit 1 }
    if ($undecided -gt 0) {
        Write-Line "UNDECIDED: $undecided test(s) could not have detected a $RegressionThreshold % regression (exit 3)"
        exit 3
    }
    exit 0
}
finally { $PSStyle.OutputRendering = $savedRendering }
