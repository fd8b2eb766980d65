<#
.SYNOPSIS
    Fleet latency check: measure every host at once over SSH remoting, compare each host with the fleet's median
    host, add every run to one history, write one report, and tell cron by the exit code whether the fleet was
    ordinary (0), a host regressed (1), the job broke (2) or some host could not have seen a regression (3).

.DESCRIPTION
    1. Runs Measure-NetperfLatency on every host in parallel over SSH (PowerShell remoting's "powershell"
       subsystem of sshd): New-PSSession -HostName <hosts> opens the sessions, Invoke-Command -Session …
       -ThrottleLimit N measures (Invoke-Command takes no -ThrottleLimit together with -HostName). Each host measures against its own loopback (a
       private netserver) or, with -Peer, against the netserver of the host -Peer names for it.
    2. The runs come back deserialized; each is labelled with the host it was measured on. A host that cannot be
       reached, has no OnloadTools module or measures nothing is an error for that host, written with the host's
       name, and the other hosts are kept.
    3. For each test, the fleet's median host is chosen by the module's one baseline rule, Select-LatencyBaseline:
       of tonight's completed runs of the test, the run whose mean latency is the median (the lower middle for an
       even count). Every other host is compared with it by Compare-LatencyRun.
    4. All runs go into one history (-HistoryPath, a folder or .jsonl file, as Import-LatencyRun reads it) and
       into one HTML report (-ReportPath, Export-LatencyReport, the median host of the first test as reference).
    5. For each host and test, ONE verdict line of at most 80 characters on the information stream (stdout of
       pwsh -File, so in cron's log), with the lead metric (the regressed one, else Mean), its relative difference
       and its confidence interval at the level the comparison used (the same numbers as Compare-LatencyRun's
       objects and the report), and the two central values when the line has room for them:
         10.0.0.2 TCP_RR: ok, Equivalent; Mean +1.0 %, 95% CI -0.8..+2.9 %
         10.0.0.3 TCP_RR: fleet median; Mean 30.1 us
         10.0.0.4 TCP_RR: REGRESSION; Mean +36.9 %, 95% CI +30.0..+44.1 %
         10.0.0.6 TCP_RR: UNDECIDED (could detect only ±70.5 %); Mean +6.5 %
         10.0.0.5: HOST BROKEN, SSH connection failed: ...
       UNDECIDED: the host did not regress, but the half-width of its interval is at least -RegressionThreshold
       (or the interval is unbounded), so a regression of that size could not have been detected: never "ok".
       Measure longer (-Duration) or more often (-Iterations). Nothing else is written to stdout (no objects);
       warnings (the hosts' own, prefixed with the host) are wrapped to 80 columns, and a log that is not a
       terminal gets no colour escape sequences.

    EXIT CODES
      0  an ordinary night: every host measured every test, and none regressed against the fleet's median.
      1  a regression: some host is significantly slower than the median by more than -RegressionThreshold %.
      2  the job broke: bad arguments, the OnloadTools module missing here, or some host unreachable or without
         a measurement (its error names it; the other hosts are still compared, exported and reported).
      3  undecided: no host regressed and none broke, but some host's interval was too wide to detect a
         regression of -RegressionThreshold % (its line says UNDECIDED): the night is not a verdict either way.
      2 wins over 1, and 1 over 3: a regression found is reported even when another host was undecided.

    Needs PowerShell 7.4+ with the OnloadTools module here and on every host, SSH key authentication to every
    host, and on each host an sshd "Subsystem powershell /path/to/pwsh -sshs -NoLogo".

.PARAMETER HostName
    The hosts, as Invoke-Command -HostName takes them (host, user@host, host:port, user@host:port). Required.
    A host's lines and errors are matched to it by its name without user@ and :port.

.PARAMETER HistoryPath
    The history the runs are added to: a folder (one JSON file per run) or a .jsonl file. Required.

.PARAMETER ReportPath
    The HTML report to write; default: no report.

.PARAMETER Peer
    A hashtable host -> netserver address, or "host=address" strings (for pwsh -File): that host measures against the netserver at the address (which must be
    running). A host that is not a key measures against its own loopback. A host finds its entry by its host name
    or one of its IP addresses.

.PARAMETER ThrottleLimit
    How many hosts measure at once (1-1024, default 32).

.PARAMETER UserName
    The SSH user (default: the current user, or the user@ of each host).

.PARAMETER KeyFilePath
    The SSH private key.

.PARAMETER SSHOption
    ssh options (Invoke-Command -Options) as a hashtable, e.g. @{ StrictHostKeyChecking = 'yes' }, or as
    "name=value" strings (for pwsh -File): -SSHOption StrictHostKeyChecking=yes,ConnectTimeout=5.

.PARAMETER ConnectingTimeout
    Milliseconds to wait for each SSH session, pwsh's start on the host included (1000-600000, default 30000).

.PARAMETER RemoteModule
    The module name or path each host imports (default OnloadTools).

.PARAMETER TestName
    TCP_RR, UDP_RR and/or TCP_CRR (default TCP_RR).

.PARAMETER Duration
    Seconds per netperf iteration (1-86400, default 10).

.PARAMETER Iterations
    Iterations per test (3-1000, default 5; comparisons need 3).

.PARAMETER EquivalenceMargin
    ± % inside which the whole confidence interval must lie for Equivalent (0.1-100, default 5; Compare-LatencyRun's range).

.PARAMETER RegressionThreshold
    % slowdown against the fleet's median the whole confidence interval must exceed for a regression (0-1000, default 5).

.EXAMPLE
    pwsh -NoProfile -File Invoke-FleetLatencyCheck.ps1 -HostName rack1-a, rack1-b, rack1-c -HistoryPath /var/lib/onload-fleet -ReportPath /var/www/fleet.html >> /var/log/onload-fleet.log 2>&1
    # cron: 0 ordinary, 1 a host regressed against the fleet's median, 2 a host (or the job) broke, 3 undecided.

.EXAMPLE
    ./Invoke-FleetLatencyCheck.ps1 -HostName a, b -Peer @{ a = 'b'; b = 'a' } -HistoryPath ./fleet.jsonl -Duration 30
    # a measures against b's netserver and b against a's.
.NOTES
Needs LatencyVerdictLines.ps1 (the verdict lines, the log's lines and the argument checks, shared by the nightly and
fleet scripts) in the same folder: copy both files.
#>
[CmdletBinding()]
param(
    [string[]] $HostName,
    [string] $HistoryPath,
    [string] $ReportPath,
    [object[]] $Peer,
    [object] $ThrottleLimit = 32,
    [string] $UserName,
    [string] $KeyFilePath,
    [object[]] $SSHOption,
    [object] $ConnectingTimeout = 30000,
    [string] $RemoteModule = 'OnloadTools',
    [string[]] $TestName = @('TCP_RR'),
    [object] $Duration = 10,
    [object] $Iterations = 5,
    [object] $EquivalenceMargin = 5,
    [object] $RegressionThreshold = 5,
    # Anything else on the command line is a bad argument (exit 2), not a binder error (exit 1).
    [Parameter(ValueFromRemainingArguments)]
    [object[]] $UnknownArgument
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Continue'

# ---- the log: plain text, lines of at most 80 columns ----
# A log that is not a terminal (cron: pwsh -File … >> log 2>&1) gets no colour escapes around warnings and errors;
# the caller's setting comes back when the script ends (the finally at the end, which exit runs too).
$savedRendering = $PSStyle.OutputRendering
if ([Console]::IsOutputRedirected -or [Console]::IsErrorRedirected) { $PSStyle.OutputRendering = 'PlainText' }
try {
    # The verdict lines and the job's plumbing (Get-Verdict, Write-Line, Write-Wrapped, Exit-Broken, ConvertTo-Checked,
    # Format-Percent, Get-Precision, Get-First): one file for both scripts.
    . (Join-Path $PSScriptRoot 'LatencyVerdictLines.ps1')

    # A hashtable, or "key=value" strings (what pwsh -File can pass), as a hashtable.
    function ConvertTo-Table([string] $Name, [object[]] $Value) {
        $table = @{}
        foreach ($v in $Value) {
            if ($v -is [System.Collections.IDictionary]) { foreach ($k in $v.Keys) { $table["$k"] = "$($v[$k])" }; continue }
            foreach ($pair in "$v" -split ',') {
                if (-not $pair.Trim()) { continue }
                $k, $rest = $pair -split '=', 2
                if (-not $k.Trim() -or $null -eq $rest -or -not $rest.Trim()) { Exit-Broken "-$Name '$pair' is not key=value." 'BadArgument' $pair }
                $table[$k.Trim()] = $rest.Trim()
            }
        }
        $table
    }

    # ---- 0. arguments and the module: exit 2 ----
    if ($UnknownArgument) { Exit-Broken "Unknown argument(s): $($UnknownArgument -join ' ')." 'BadArgument' $UnknownArgument }
    $HostName = @($HostName | ForEach-Object { $_ -split ',' } | ForEach-Object Trim | Where-Object { $_ })
    if ($HostName.Count -eq 0) { Exit-Broken '-HostName is required (one or more hosts).' 'BadArgument' $null }
    if ([string]::IsNullOrWhiteSpace($HistoryPath)) { Exit-Broken '-HistoryPath is required (a history folder or a .jsonl file).' 'BadArgument' $null }
    $ThrottleLimit = ConvertTo-Checked ThrottleLimit $ThrottleLimit ([int]) 1 1024
    $ConnectingTimeout = ConvertTo-Checked ConnectingTimeout $ConnectingTimeout ([int]) 1000 600000
    $Duration = ConvertTo-Checked Duration $Duration ([int]) 1 86400
    $Iterations = ConvertTo-Checked Iterations $Iterations ([int]) 3 1000
    $EquivalenceMargin = ConvertTo-Checked EquivalenceMargin $EquivalenceMargin ([double]) 0.1 100
    $RegressionThreshold = ConvertTo-Checked RegressionThreshold $RegressionThreshold ([double]) 0 1000
    $TestName = @($TestName | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
    foreach ($t in $TestName) {
        if ($t -notin 'TCP_RR', 'UDP_RR', 'TCP_CRR') { Exit-Broken "-TestName '$t' is not one of TCP_RR, UDP_RR, TCP_CRR." 'BadArgument' $t }
    }
    $peerTable = ConvertTo-Table Peer $Peer
    $sshTable = ConvertTo-Table SSHOption $SSHOption
    if ($KeyFilePath -and -not [IO.File]::Exists($KeyFilePath)) { Exit-Broken "-KeyFilePath '$KeyFilePath' does not exist." 'BadArgument' $KeyFilePath }

    if (-not (Get-Command Select-LatencyBaseline -ErrorAction Ignore)) {
        try { Import-Module OnloadTools -ErrorAction Stop }
        catch { Exit-Broken "The OnloadTools module cannot be loaded: $($_.Exception.Message)" 'ModuleMissing' 'OnloadTools' }
    }
    $HistoryPath = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($HistoryPath)

    # ---- 1. measure on every host at once ----
    $remote = {
        param([string[]] $TestName, [int] $Duration, [int] $Iterations, [hashtable] $Peer, [string] $Module)
        $ErrorActionPreference = 'Continue'
        Import-Module $Module -ErrorAction Stop
        $measure = @{ TestName = $TestName; Duration = $Duration; Iterations = $Iterations }
        if ($Peer -and $Peer.Count -gt 0) {
            # This host's entry: by its host name or one of its addresses.
            $mine = @([System.Net.Dns]::GetHostName()) + @(
                [System.Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces() |
                    ForEach-Object { $_.GetIPProperties().UnicastAddresses } | ForEach-Object { $_.Address.ToString() })
            foreach ($key in $Peer.Keys) {
                # The key as -HostName takes it: without user@ and :port ([v6]:port, bare IPv6 addresses kept).
                $name = $key -replace '^.*@', '' -replace '^\[(.*)\](:\d+)?$', '$1' -replace '^([^:]*):\d+$', '$1'
                if ($name -in $mine) { $measure.ComputerName = $Peer[$key] }
            }
        }
        Measure-NetperfLatency @measure
    }
    $connect = @{ HostName = $HostName; ConnectingTimeout = $ConnectingTimeout }
    if ($UserName) { $connect.UserName = $UserName }
    if ($KeyFilePath) { $connect.KeyFilePath = $KeyFilePath }
    if ($sshTable.Count -gt 0) { $connect.Options = $sshTable }

    $started = [DateTime]::UtcNow
    # Invoke-Command has no -ThrottleLimit with -HostName: open the SSH sessions (New-PSSession -HostName connects
    # each host; one that cannot be reached is an error for that host), then Invoke-Command -Session … -ThrottleLimit.
    $connectErrors = $null
    $remoteErrors = $null
    $remoteWarnings = $null
    $sessions = @()
    try {
        $sessions = @(New-PSSession @connect -ErrorAction SilentlyContinue -ErrorVariable connectErrors)
        $received = @(if ($sessions.Count -gt 0) {
                Invoke-Command -Session $sessions -ThrottleLimit $ThrottleLimit -ScriptBlock $remote `
                    -ArgumentList $TestName, $Duration, $Iterations, $peerTable, $RemoteModule -ErrorAction SilentlyContinue -ErrorVariable remoteErrors `
                    -WarningAction SilentlyContinue -WarningVariable remoteWarnings
            })
    }
    catch { Exit-Broken "Remoting failed: $($_.Exception.Message)" 'RemotingFailed' $HostName }
    finally { if ($sessions.Count -gt 0) { Remove-PSSession -Session $sessions -ErrorAction SilentlyContinue } }
    $PSCmdlet.WriteVerbose("The fleet measured in $([int]([DateTime]::UtcNow - $started).TotalSeconds) s.")

    # ---- 2. runs by host; a host's errors are that host's ----
    # A host as its runs and errors name it (PSComputerName): -HostName's entry without user@ and :port
    # (host:2222, user@host:2222, [fe80::1]:2222; a bare IPv6 address is kept whole).
    function Get-HostKey([string] $Name) {
        ($Name -replace '^.*@', '' -replace '^\[(.*)\](:\d+)?$', '$1' -replace '^([^:]*):\d+$', '$1').ToLowerInvariant()
    }
    # The hosts' warnings (a failed iteration, Onload not mapped …), each with its host, in lines of 80 columns.
    foreach ($w in @($remoteWarnings)) {
        if ($null -eq $w) { continue }
        $from = if ($w -is [System.Management.Automation.RemotingWarningRecord] -and $w.OriginInfo) { "$($w.OriginInfo.PSComputerName): " } else { '' }
        Write-Wrapped "$from$($w.Message)"
    }
    $runs = [System.Collections.Generic.List[object]]::new()
    foreach ($item in $received) {
        if ($null -eq $item -or $null -eq $item.PSObject.Properties['Samples']) { continue }
        $item.Label = $item.PSComputerName          # the report and the history tell the hosts apart by Label
        $runs.Add($item)
    }
    $hostErrors = @{}
    foreach ($e in @($connectErrors) + @($remoteErrors)) {
        if ($null -eq $e) { continue }
        # Remote errors carry their host in OriginInfo; a session that could not open is the error's TargetObject.
        $where = if ($e -is [System.Management.Automation.Runspaces.RemotingErrorRecord] -and $e.OriginInfo) { $e.OriginInfo.PSComputerName }
        elseif ($e.TargetObject -is [System.Management.Automation.Runspaces.Runspace] -and $e.TargetObject.ConnectionInfo) { $e.TargetObject.ConnectionInfo.ComputerName }
        else { "$($e.TargetObject)" }
        $key = Get-HostKey $where
        if (-not $hostErrors.ContainsKey($key)) { $hostErrors[$key] = [System.Collections.Generic.List[string]]::new() }
        $hostErrors[$key].Add(("$($e.FullyQualifiedErrorId -replace ',.*'): $($e.Exception.Message)" -split "`n")[0])
        $PSCmdlet.WriteError($e)
    }

    $brokenHosts = [System.Collections.Generic.List[string]]::new()
    foreach ($h in $HostName) {
        $key = Get-HostKey $h
        $mine = @($runs | Where-Object { (Get-HostKey $_.PSComputerName) -eq $key })
        $missing = @($TestName | Where-Object { $_ -notin @($mine | ForEach-Object TestName) })
        if ($missing.Count -gt 0) {
            $brokenHosts.Add($h)
            $why = if ($hostErrors.ContainsKey($key)) { $hostErrors[$key][0] } else { 'no error was returned' }
            Write-Line "${h}: HOST BROKEN, nothing measured for $($missing -join ', '): $why"
        }
    }

    # ---- 3. one history, 4. one report ----
    if ($runs.Count -gt 0) {
        try { $runs | Export-LatencyRun -Path $HistoryPath -ErrorAction Stop }
        catch { Exit-Broken "Cannot add the fleet's runs to $($HistoryPath): $($_.Exception.Message)" 'HistoryWriteFailed' $HistoryPath }
    }

    # ---- 5. each host against the fleet's median, test by test ----
    $regressions = 0
    $undecided = 0
    $reference = $null
    foreach ($test in $TestName) {
        $ofTest = @($runs | Where-Object TestName -eq $test)
        if ($ofTest.Count -eq 0) { continue }
        # The module's one baseline rule (Select-LatencyBaseline): the median of tonight's runs of the test.
        $median = Get-First @($ofTest | Select-LatencyBaseline -Count $ofTest.Count)
        if ($null -eq $median) {
            foreach ($run in $ofTest) { Write-Line "$($run.PSComputerName) ${test}: not compared (no completed run in the fleet)" }
            continue
        }
        if ($null -eq $reference) { $reference = $median.Label }
        foreach ($run in $ofTest) {
            $h = $run.PSComputerName
            if ($run.RunId -eq $median.RunId) {
                Write-Line ('{0} {1}: fleet median; Mean {2:0.##} us' -f $h, $test, $median.MeanLatency)
                continue
            }
            $comparisons = @(Compare-LatencyRun -ReferenceRun $median -DifferenceRun $run `
                    -EquivalenceMargin $EquivalenceMargin -RegressionThreshold $RegressionThreshold -WarningAction SilentlyContinue)
            # The verdict line only: the comparisons themselves are in the report (-ReportPath), not on stdout.
            $verdict = Get-Verdict "$h $test" $comparisons $RegressionThreshold
            switch ($verdict.Kind) { 'Regression' { $regressions++ } 'Undecided' { $undecided++ } }
            Write-Line $verdict.Line
        }
    }

    if ($ReportPath -and $runs.Count -gt 0) {
        $report = @{ Path = $ReportPath; Title = "Fleet latency: $($HostName.Count) host(s)"; EquivalenceMargin = $EquivalenceMargin; RegressionThreshold = $RegressionThreshold }
        if ($reference) { $report.ReferenceLabel = $reference }
        try { $runs | Export-LatencyReport @report -Confirm:$false -ErrorAction Stop -WarningAction SilentlyContinue }
        catch { Exit-Broken "Cannot write the report $($ReportPath): $($_.Exception.Message)" 'ReportWriteFailed' $ReportPath }
    }

    # ---- the job's verdict ----
    if ($brokenHosts.Count -gt 0) {
        Write-Line "JOB BROKEN: $($brokenHosts.Count) of $($HostName.Count) host(s) measured nothing (exit 2)"
        exit 2
    }
    if ($regressions -gt 0) { exit 1 }
    if ($undecided -gt 0) {
        Write-Line "UNDECIDED: $undecided host/test(s) could not have detected a $RegressionThreshold % regression (exit 3)"
        exit 3
    }
    exit 0
}
finally { $PSStyle.OutputRendering = $savedRendering }
