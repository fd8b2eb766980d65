# The verdict lines and the job's plumbing of the example scripts (Invoke-NightlyLatencyCheck.ps1,
# Invoke-FleetLatencyCheck.ps1), written once: both dot-source this file from their own folder, so keep it beside them
# when you copy them. What a line says (REGRESSION, UNDECIDED (could detect only ±N %), ok; for jitter EXCEEDED,
# REGRESSION, ok), how it fits 80 columns, how the job's own failure ends it (exit 2) and how arguments are checked
# are decided here. The functions use the calling script's $PSCmdlet (a dot-sourced file runs in the script's scope).

# ---- the log ----
# One line on the information stream (stdout of pwsh -File, so in cron's log), at most 80 characters: one verdict per
# line in a log read on a terminal or in a mail.
function Write-Line([string] $Text) {
    if ($Text.Length -gt 80) { $Text = $Text.Substring(0, 77) + '...' }
    $PSCmdlet.WriteInformation([System.Management.Automation.HostInformationMessage]@{ Message = $Text }, [string[]] @('PSHOST'))
}

# ---- the job's own failures: exit 2 ----
# An error record (its ErrorId, the target), a "JOB BROKEN:" line, and exit 2 (the script ends here).
function Exit-Broken([string] $Message, [string] $ErrorId, [object] $Target) {
    $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new(
            [System.InvalidOperationException]::new($Message), $ErrorId,
            [System.Management.Automation.ErrorCategory]::InvalidArgument, $Target))
    Write-Line "JOB BROKEN: $Message"
    exit 2
}

# A parameter's value as $Type between $Min and $Max, or the job broken (exit 2): the scripts check their parameters
# themselves, so that a bad argument is exit code 2, not a binder error (exit 1).
function ConvertTo-Checked([string] $Name, [object] $Value, [type] $Type, [double] $Min, [double] $Max) {
    $parsed = $null
    if ($null -eq $Value -or -not [System.Management.Automation.LanguagePrimitives]::TryConvertTo($Value, $Type, [cultureinfo]::InvariantCulture, [ref] $parsed)) {
        Exit-Broken "-$Name '$Value' is not a $($Type.Name) ($Min to $Max)." 'BadArgument' $Value
    }
    if ($parsed -lt $Min -or $parsed -gt $Max) { Exit-Broken "-$Name $parsed is out of range ($Min to $Max)." 'BadArgument' $Value }
    $parsed
}

# ---- a jitter line: one CPU of Compare-HostJitterRun (or of a first night's run), the same numbers as its objects ----
# Kind Exceeded (the maximum reached the threshold), Regression (the maximum or tail grew beyond the tool's resolution
# plus the allowance), Ok, and ONE line of at most 80 columns:
#   JITTER CPU 3: ok; max 9 -> 10 us (+1), P99.99 2 -> 2 us, limit 20 us
#   JITTER CPU 3: REGRESSION (Maximum); max 5 -> 12 us (+7 > 1+2), limit 20 us
#   JITTER CPU 3: EXCEEDED 20 us; max 9 -> 31 us (+22), P99.99 2 -> 3 us
#   JITTER CPU 3: FIRST NIGHT, ok; max 9 us, P99.99 2 us, limit 20 us
# $Item is a HostJitterComparison, or with -First a HostJitterResult (no earlier run to compare with).
function Get-JitterVerdict([object] $Item, [switch] $First) {
    $n = { param($v) if ($null -eq $v) { '-' } else { '{0:0.##}' -f [double] $v } }
    $limit = '{0:0.##}' -f $Item.ThresholdMicroseconds
    if ($First) {
        $kind = if ($Item.Verdict -eq 'Exceeded') { 'Exceeded' } else { 'Ok' }
        $status = if ($kind -eq 'Exceeded') { "FIRST NIGHT, EXCEEDED $limit us" } else { 'FIRST NIGHT, ok' }
        $candidates = @(
            ('JITTER CPU {0}: {1}; max {2} us, P99.99 {3} us, limit {4} us' -f $Item.Cpu, $status, (& $n $Item.MaximumMicroseconds), (& $n $Item.P9999Microseconds), $limit)
            ('JITTER CPU {0}: {1}; max {2} us' -f $Item.Cpu, $status, (& $n $Item.MaximumMicroseconds)))
    }
    else {
        $kind = if ($Item.IsExceeded) { 'Exceeded' } elseif ($Item.IsRegression) { 'Regression' } else { 'Ok' }
        $status = switch ($kind) {
            'Exceeded' { "EXCEEDED $limit us" }
            'Regression' { "REGRESSION ($($Item.RegressedMetrics))" }
            default { 'ok' }
        }
        $change = if ($null -ne $Item.MaximumChangeMicroseconds) { ' ({0:+0.##;-0.##;0}' -f $Item.MaximumChangeMicroseconds } else { ' (' }
        if ($kind -eq 'Regression') { $change += ' > {0:0.##}+{1:0.##}' -f $Item.ResolutionMicroseconds, $Item.AllowanceMicroseconds }
        $change += ')'
        if ($change -eq ' ()') { $change = '' }
        $max = 'max {0} -> {1} us{2}' -f (& $n $Item.ReferenceMaximumMicroseconds), (& $n $Item.DifferenceMaximumMicroseconds), $change
        $tail = 'P99.99 {0} -> {1} us' -f (& $n $Item.ReferenceTailMicroseconds), (& $n $Item.DifferenceTailMicroseconds)
        $candidates = @(
            ('JITTER CPU {0}: {1}; {2}, {3}, limit {4} us' -f $Item.Cpu, $status, $max, $tail, $limit)
            ('JITTER CPU {0}: {1}; {2}, {3}' -f $Item.Cpu, $status, $max, $tail)
            ('JITTER CPU {0}: {1}; {2}, limit {3} us' -f $Item.Cpu, $status, $max, $limit)
            ('JITTER CPU {0}: {1}; {2}' -f $Item.Cpu, $status, $max))
    }
    $line = Get-First @($candidates | Where-Object { $_.Length -le 80 })
    if ($null -eq $line) { $line = $candidates[-1].Substring(0, 77) + '...' }
    [pscustomobject]@{ Kind = $kind; Line = $line }
}
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
