#!/usr/bin/env pwsh
# Invoke-LatencyComparison for real on this host, scaled down by -Scale (default 10): the paper's fixed protocol
# (-Iterations 5 -Duration 120/Scale) against the adaptive default (-Duration 10/Scale), same two arms (netperf on
# the host, and netperf under onload; with the test double of onload (tests/fixtures/bin) the true ratio is 1.00).
# Prints wall times, their ratio (goal ≤ 0.25) and each protocol's Mean verdicts. Run after publishing the module.
param([int] $Scale = 10, [string] $Module = "$PSScriptRoot/../out/OnloadTools/0.1.0/OnloadTools.psd1")
Import-Module $Module -Force
$env:PATH = "$PSScriptRoot/../tests/fixtures/bin:$env:PATH"
$arms = @{ Label = 'kernel' }, @{ Label = 'onload'; Onload = $true }
$rows = foreach ($protocol in 'paper', 'adaptive') {
    $p = if ($protocol -eq 'paper') { @{ Iterations = 5; Duration = [math]::Max(1, [int](120 / $Scale)) } } else { @{ Duration = [math]::Max(1, [int](10 / $Scale)) } }
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $out = Invoke-LatencyComparison -Arm $arms @p -WarningAction SilentlyContinue
    $sw.Stop()
    $out | Where-Object { $_ -is [OnloadTools.LatencyComparison] -and $_.Metric -eq 'Mean' } | ForEach-Object {
        [pscustomobject]@{
            Protocol = $protocol; Seconds = [math]::Round($sw.Elapsed.TotalSeconds, 1); Test = $_.TestName
            PerArm = $_.ReferenceCount; DeltaPercent = [math]::Round($_.DeltaPercent, 1)
            CI = '[{0:0.0}, {1:0.0}] at {2:0.##} %' -f $_.ConfidenceIntervalLow, $_.ConfidenceIntervalHigh, ($_.ConfidenceLevel * 100)
            Verdict = $_.Verdict
        }
    }
}
$rows | Format-Table -AutoSize | Out-String -Width 200
$paper = ($rows | Where-Object Protocol -eq paper)[0].Seconds
$adaptive = ($rows | Where-Object Protocol -eq adaptive)[0].Seconds
'time ratio adaptive/paper = {0:0.000} (goal ≤ 0.25)' -f ($adaptive / $paper)
