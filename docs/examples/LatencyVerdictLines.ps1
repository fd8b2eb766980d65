# The verdict lines of the example scripts (Invoke-NightlyLatencyCheck.ps1, Invoke-FleetLatencyCheck.ps1), written
# once: both dot-source this file from their own folder, so keep it beside them when you copy them. What a line says
# (REGRESSION, UNDECIDED (could detect only ±N %), ok) and how it fits 80 columns is decided here.
# A warning in lines of at most 80 columns: "WARNING: " and the text wrapped at blanks (a word longer than a line is
# split), each further line indented by two blanks.
function Write-Wrapped([string] $Text) {
    $lines = [System.Collections.Generic.List[string]]::new()
    $indent = ''; $width = 80 - 'WARNING: '.Length; $line = ''
    foreach ($word in @($Text -split '\s+' | Where-Object { $_ })) {
        $rest = $word
        while ($rest) {
            $sep = if ($line) { 1 } else { 0 }
            if ($line.Length + $sep + $rest.Length -le $width) { $line = if ($line) { "$line $rest" } else { $rest }; $rest = '' }
            elseif ($line) { $lines.Add($indent + $line); $line = ''; $indent = '  '; $width = 78 }
            else { $lines.Add($indent + $rest.Substring(0, $width)); $rest = $rest.Substring($width); $indent = '  '; $width = 78 }
        }
    }
    if ($line) { $lines.Add($indent + $line) }
    $PSCmdlet.WriteWarning($lines -join "`n")
}

# ---- a verdict line: the same numbers at the same level as the comparison objects, the view and the report ----
function Format-Percent([double] $Value) {
    # As the module's verdict table shows it: one decimal below 100 %, whole percents above, k above 10,000 %.
    if ([math]::Abs($Value) -ge 10000) { '{0:+0;-0}k' -f ($Value / 1000) }
    elseif ([math]::Abs($Value) -ge 100) { '{0:+0;-0;0}' -f $Value } else { '{0:+0.0;-0.0;0.0}' -f $Value }
}

# The half-width of a comparison's interval, % (PrecisionPercent; from the bounds for a comparison made without
# it); $null when the interval is unbounded.
function Get-Precision([object] $Comparison) {
    $p = $Comparison.PSObject.Properties['PrecisionPercent']
    if ($p -and $null -ne $p.Value) { return [double] $p.Value }
    if ($null -ne $Comparison.ConfidenceIntervalLow -and $null -ne $Comparison.ConfidenceIntervalHigh) {
        return ([double] $Comparison.ConfidenceIntervalHigh - [double] $Comparison.ConfidenceIntervalLow) / 2
    }
    $null
}

# The verdict of one test from its comparisons: Kind Regression (some metric regressed), Undecided (the lead metric's
# interval is too wide to detect a regression of -RegressionThreshold %: its half-width is at least the threshold, or
# it is unbounded), Ok, or NotCompared; and ONE line of at most 80 columns saying so, with the lead metric (the
# regressed one, else Mean), its two values, Δ % and its interval at its level; when the line would be longer the
# values go first, then Δ %, then the interval, never the verdict.
function Get-Verdict([string] $Prefix, [object[]] $Comparisons, [double] $Threshold) {
    $regressed = @($Comparisons | Where-Object IsRegression)
    $lead = if ($regressed.Count -gt 0) { $regressed[0] } else { Get-First (@($Comparisons | Where-Object Metric -eq 'Mean') + $Comparisons) }
    if ($null -eq $lead) { return [pscustomobject]@{ Kind = 'NotCompared'; Line = "${Prefix}: not compared (no metric on both sides)"; Lead = $null } }
    $half = Get-Precision $lead
    $kind = if ($regressed.Count -gt 0) { 'Regression' } elseif ($null -eq $half -or $half -ge $Threshold) { 'Undecided' } else { 'Ok' }
    $status = switch ($kind) {
        'Regression' { 'REGRESSION' }
        'Undecided' { if ($null -eq $half) { 'UNDECIDED (interval unbounded)' } else { 'UNDECIDED (could detect only ±{0} %)' -f (Format-Percent $half).TrimStart('+') } }
        default { "ok, $($lead.Verdict)" }
    }
    $level = '{0:0.#}% CI' -f (100 * $lead.ConfidenceLevel)
    $ci = if ($null -ne $lead.ConfidenceIntervalLow -and $null -ne $lead.ConfidenceIntervalHigh) {
        '{0} {1}..{2} %' -f $level, (Format-Percent $lead.ConfidenceIntervalLow), (Format-Percent $lead.ConfidenceIntervalHigh)
    }
    else { "$level unbounded" }
    $unit = if ($lead.Unit -eq 'µs') { 'us' } else { $lead.Unit }
    $delta = '{0} %' -f (Format-Percent $lead.DeltaPercent)
    $candidates = @(
        ('{0}: {1}; {2} {3:0.##} -> {4:0.##} {5} ({6}, {7})' -f $Prefix, $status, $lead.Metric, $lead.ReferenceValue, $lead.DifferenceValue, $unit, $delta, $ci)
        ('{0}: {1}; {2} {3}, {4}' -f $Prefix, $status, $lead.Metric, $delta, $ci)
        ('{0}: {1}; {2} {3}' -f $Prefix, $status, $lead.Metric, $ci)
        ('{0}: {1}; {2} {3}' -f $Prefix, $status, $lead.Metric, $delta)
        ('{0}: {1}' -f $Prefix, $status))
    $line = Get-First @($candidates | Where-Object { $_.Length -le 80 })
    if ($null -eq $line) { $line = $candidates[-1].Substring(0, 77) + '...' }
    [pscustomobject]@{ Kind = $kind; Line = $line; Lead = $lead }
}

# The first item, or $null (strict mode forbids indexing an empty array).
function Get-First([object[]] $Items) { foreach ($i in $Items) { return $i } }
