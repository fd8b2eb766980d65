<#
.SYNOPSIS
    Nightly latency check: measure tonight, add it to the run history, compare it with a baseline, and fail the
    job (exit code 1) when a test regressed.

.DESCRIPTION
    1. Reads the history (a folder of run files, or a .jsonl file) before measuring.
    2. Measures tonight with Measure-NetperfLatency (or takes already measured runs from -TonightRun).
       With a history folder the runs are saved after every iteration (Measure-NetperfLatency -HistoryPath), so a
       crash or Ctrl+C loses nothing; with a .jsonl history they are appended by Export-LatencyRun.
    3. Picks the baseline of each test:
         -Baseline Median (default): of the last -BaselineCount completed runs of that test with the same label,
           the one whose mean latency is the median (the lower middle for an even count). It is a real run, so its
           per-iteration values go into the comparison, and one bad night cannot move the baseline.
         -Baseline <RunId>[, <RunId> …]: these runs (a RunId prefix is enough), each for its own test.
    4. Compare-LatencyRun baseline vs tonight; writes the comparisons; warns about each regression.
    5. Exits 1 if any comparison is a regression (significantly slower by more than -RegressionThreshold %),
       else 0. A test without any baseline yet (the first night) is a warning, not a failure.

    Uses only core cmdlets and OnloadTools cmdlets, so it runs in any PowerShell 7.4+ host.

.EXAMPLE
    pwsh -File Invoke-NightlyLatencyCheck.ps1 -HistoryPath /var/lib/onload-latency -Duration 30 -Iterations 10
    # cron/systemd timer: a non-zero exit status marks the night as failed.

.EXAMPLE
    ./Invoke-NightlyLatencyCheck.ps1 -HistoryPath ./history.jsonl -Baseline 3f9c2a1b -TestName TCP_RR
#>
[CmdletBinding()]
param(
    # A history folder (one JSON file per run) or a .jsonl file.
    [Parameter(Mandatory)]
    [ValidateNotNullOrEmpty()]
    [string] $HistoryPath,

    # 'Median' (median of the last -BaselineCount runs), or one or more RunIds (prefixes allowed).
    [ValidateNotNullOrEmpty()]
    [string[]] $Baseline = @('Median'),

    [ValidateRange(1, 1000)]
    [int] $BaselineCount = 7,

    # Seconds per netperf iteration.
    [ValidateRange(1, 86400)]
    [int] $Duration = 10,

    [ValidateRange(1, 1000)]
    [int] $Iterations = 5,

    [ValidateSet('TCP_RR', 'UDP_RR', 'TCP_CRR')]
    [string[]] $TestName = @('TCP_RR', 'UDP_RR'),

    # The label tonight's runs get and the baseline is chosen from.
    [ValidateNotNullOrEmpty()]
    [string] $Label = 'nightly',

    # netserver host; default: this host (a private netserver on loopback).
    [string] $ComputerName,

    [switch] $Onload,

    [ValidateRange(0, 1000)]
    [double] $EquivalenceMargin = 5,

    [ValidateRange(0, 1000)]
    [double] $RegressionThreshold = 5,

    # Runs already measured tonight (for example on another host via Invoke-Command): no measurement is made.
    [object[]] $TonightRun
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$HistoryPath = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($HistoryPath)
$isLines = $HistoryPath.EndsWith('.jsonl', [StringComparison]::OrdinalIgnoreCase)

# ---- 1. the history as it was before tonight ----
$history = @()
if ([IO.Directory]::Exists($HistoryPath) -or [IO.File]::Exists($HistoryPath)) {
    # A corrupt file is reported but does not stop the check.
    $history = @(Import-LatencyRun -LiteralPath $HistoryPath -ErrorAction Continue |
        Where-Object { $_.Status -eq 'Completed' })
}

# ---- 2. tonight ----
if ($PSBoundParameters.ContainsKey('TonightRun')) {
    $tonight = @($TonightRun | Export-LatencyRun -Path $HistoryPath -PassThru)
}
else {
    $measure = @{ TestName = $TestName; Duration = $Duration; Iterations = $Iterations; Label = $Label }
    if ($ComputerName) { $measure.ComputerName = $ComputerName }
    if ($Onload) { $measure.Onload = $true }
    if (-not $isLines) { $measure.HistoryPath = $HistoryPath }
    $tonight = @(Measure-NetperfLatency @measure)
    if ($isLines) { $tonight | Export-LatencyRun -Path $HistoryPath }
}
if ($tonight.Count -eq 0) {
    $PSCmdlet.WriteWarning('Nothing was measured tonight.')
    exit 1
}
$tonightIds = @($tonight | ForEach-Object RunId)
$history = @($history | Where-Object { $tonightIds -notcontains $_.RunId })

# ---- 3. baselines ----
# A stable insertion sort by one property (the script keeps to core cmdlets, which have no Sort-Object).
function Get-Ordered([object[]] $Items, [string] $Property) {
    $list = [System.Collections.Generic.List[object]]::new()
    foreach ($item in $Items) {
        $i = $list.Count
        while ($i -gt 0 -and $list[$i - 1].$Property -gt $item.$Property) { $i-- }
        $list.Insert($i, $item)
    }
    , $list.ToArray()
}

function Select-Baseline([string] $Test) {
    $sameTest = @($history | Where-Object { $_.TestName -eq $Test })
    if ($Baseline.Count -eq 1 -and $Baseline[0] -eq 'Median') {
        $candidates = @($sameTest | Where-Object { $_.Label -eq $Label -and $null -ne $_.MeanLatency })
        if ($candidates.Count -eq 0) { return $null }
        # Last N by start time, then the median by mean latency.
        $byTime = Get-Ordered $candidates 'StartTime'
        $lastN = $byTime[[Math]::Max(0, $byTime.Count - $BaselineCount)..($byTime.Count - 1)]
        $byMean = Get-Ordered $lastN 'MeanLatency'
        return $byMean[[Math]::Floor(($byMean.Count - 1) / 2)]
    }
    foreach ($id in $Baseline) {
        $match = @($sameTest | Where-Object { $_.RunId -eq $id })
        if ($match.Count -eq 0) { $match = @($sameTest | Where-Object { $_.RunId.StartsWith($id, [StringComparison]::OrdinalIgnoreCase) }) }
        if ($match.Count -gt 1) {
            throw "Baseline '$id' matches $($match.Count) $Test runs ($(($match | ForEach-Object RunId) -join ', ')): give more of the RunId."
        }
        if ($match.Count -eq 1) { return $match[0] }
    }
    return $null
}

# ---- 4. compare ----
$regressions = 0
foreach ($run in $tonight) {
    $base = Select-Baseline $run.TestName
    if ($null -eq $base) {
        $PSCmdlet.WriteWarning("$($run.TestName): no baseline in $HistoryPath yet ($($Baseline -join ', ')); tonight's run $($run.RunId) starts the history.")
        continue
    }
    $PSCmdlet.WriteVerbose("$($run.TestName): baseline is run $($base.RunId) of $($base.StartTime.ToString('u')).")
    $comparisons = @(Compare-LatencyRun -ReferenceRun $base -DifferenceRun $run `
            -EquivalenceMargin $EquivalenceMargin -RegressionThreshold $RegressionThreshold)
    foreach ($c in $comparisons) {
        if ($c.IsRegression) {
            $regressions++
            $PSCmdlet.WriteWarning(('REGRESSION {0} {1}: {2:N2} -> {3:N2} {4} ({5:+0.0;-0.0}%, {6:0}% CI [{7:+0.0;-0.0}, {8:+0.0;-0.0}]%, p={9:0.0000}) against run {10}' -f
                    $c.TestName, $c.Metric, $c.ReferenceValue, $c.DifferenceValue, $c.Unit, $c.DeltaPercent,
                    ($c.ConfidenceLevel * 100), $c.ConfidenceIntervalLow, $c.ConfidenceIntervalHigh, $c.PValue, $base.RunId))
        }
    }
    $comparisons
}

# ---- 5. the job's verdict ----
if ($regressions -gt 0) { exit 1 }
exit 0
