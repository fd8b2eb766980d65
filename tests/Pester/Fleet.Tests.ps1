# Pester 5: docs/examples/Invoke-FleetLatencyCheck.ps1 for real — sshd servers (openssh-server) in network namespaces
# this test creates, the pwsh "powershell" subsystem (the repo's .NET tool pwsh), key authentication, real netperf.
# Everything (namespaces, bridge, keys, sshd) is made here and torn down in AfterAll; traffic stays inside the
# namespaces: the script runs in a control namespace, the hosts are namespaces on one bridge.
BeforeDiscovery {
    $script:noFleet = -not ($IsLinux -and [Environment]::UserName -eq 'root' -and (Test-Path /usr/sbin/sshd) -and
        (Get-Command ip, ssh, ssh-keygen, netperf, netserver -ErrorAction SilentlyContinue).Count -eq 5)
}

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $fleet = (Resolve-Path "$PSScriptRoot/../../docs/examples/Invoke-FleetLatencyCheck.ps1").Path
    $exe = (Get-FreshPwsh).FilePath
    $pwshArgs = (Get-FreshPwsh).ArgumentList

    function Invoke-Checked([string] $File, [string[]] $Arguments) {
        $out = & $File @Arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed ($LASTEXITCODE): $out" }
    }

    # Runs the fleet script as cron would (a fresh pwsh, output redirected), inside the control namespace.
    function Invoke-Fleet([string[]] $Arguments, [string] $Log) {
        $all = @('netns', 'exec', $script:ns.Control, $exe) + $pwshArgs + @('-NoProfile', '-NonInteractive', '-File', $fleet) + $Arguments
        $saved = $env:PSModulePath
        $env:PSModulePath = $script:moduleRoot
        try { & ip @all *> $Log } finally { $env:PSModulePath = $saved }
        $LASTEXITCODE
    }

    # A night where no host regressed or broke: stdout holds the one-line verdicts the script promises and nothing
    # else (no comparison objects); exit 0 when every compared host could have seen a -RegressionThreshold
    # regression ("ok, <verdict>"), 3 when some could not ("UNDECIDED (could detect only ±N %)", then the
    # UNDECIDED summary line). On a loaded machine 1-second iterations can be that noisy.
    function Assert-Decided([int] $Code, [string[]] $Text, [int] $Compared) {
        $why = $Text -join "`n"
        $Text | Where-Object { $_ -notmatch '^10\.213\.[\d.]+ TCP_RR: (fleet median; Mean [\d.]+ us|ok, \w+; Mean |UNDECIDED \((could detect only ±[\d.]+k? %|interval unbounded)\); Mean )' -and
            $_ -notmatch '^UNDECIDED: \d+ host/test\(s\) could not have detected a [\d.]+ % regression \(exit 3\)$' } | Should -BeNullOrEmpty -Because $why
        $Text | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 -Because $_ }
        @($Text | Where-Object { $_ -match 'fleet median' }) | Should -HaveCount 1 -Because $why
        $undecided = @($Text | Where-Object { $_ -match ' TCP_RR: UNDECIDED' })
        @($Text | Where-Object { $_ -match ' TCP_RR: (ok|UNDECIDED)' }) | Should -HaveCount $Compared -Because $why
        if ($undecided.Count -gt 0) {
            $Code | Should -Be 3 -Because $why
            $Text[-1] | Should -Match "^UNDECIDED: $($undecided.Count) host"
        }
        else { $Code | Should -Be 0 -Because $why }
    }
}

Describe 'Invoke-FleetLatencyCheck.ps1 over SSH remoting' -Skip:$noFleet {
    BeforeAll {
        $script:moduleRoot = (Resolve-Path "$PSScriptRoot/../../out").Path
        $tag = 'otf' + ($PID % 10000)
        $net = 10 + ($PID % 200)
        $script:ns = @{ Control = "$tag-c"; Hosts = @("$tag-h1", "$tag-h2", "$tag-h3") }
        $script:addr = @{ Control = "10.213.$net.1"; Hosts = @("10.213.$net.11", "10.213.$net.12", "10.213.$net.13") }
        $script:tmp = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-fleet-$PID")).FullName
        $script:sshd = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()

        # The network: a bridge in the control namespace, one veth per host namespace, addresses only inside.
        Invoke-Checked ip @('netns', 'add', $ns.Control)
        Invoke-Checked ip @('-n', $ns.Control, 'link', 'set', 'lo', 'up')
        Invoke-Checked ip @('-n', $ns.Control, 'link', 'add', 'br0', 'type', 'bridge')
        Invoke-Checked ip @('-n', $ns.Control, 'link', 'set', 'br0', 'up')
        Invoke-Checked ip @('-n', $ns.Control, 'addr', 'add', "$($addr.Control)/24", 'dev', 'br0')
        for ($i = 0; $i -lt 3; $i++) {
            $h = $ns.Hosts[$i]
            Invoke-Checked ip @('netns', 'add', $h)
            Invoke-Checked ip @('-n', $h, 'link', 'set', 'lo', 'up')
            Invoke-Checked ip @('link', 'add', "v$i$tag", 'netns', $ns.Control, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', $h)
            Invoke-Checked ip @('-n', $ns.Control, 'link', 'set', "v$i$tag", 'master', 'br0')
            Invoke-Checked ip @('-n', $ns.Control, 'link', 'set', "v$i$tag", 'up')
            Invoke-Checked ip @('-n', $h, 'addr', 'add', "$($addr.Hosts[$i])/24", 'dev', 'eth0')
            Invoke-Checked ip @('-n', $h, 'link', 'set', 'eth0', 'up')
        }

        # Keys: a host key for the servers, a client key for root; both only in the temp folder.
        Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-f', "$tmp/host_key")
        Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-f', "$tmp/client_key")
        Copy-Item "$tmp/client_key.pub" "$tmp/authorized_keys"

        # The subsystem: the repo's pwsh (the .NET tool this test runs in), with the module on PSModulePath.
        $launch = if ($pwshArgs.Count -gt 0) { "exec '$exe' '$($pwshArgs[0])' -sshs -NoLogo" } else { "exec '$exe' -sshs -NoLogo" }
        Set-Content "$tmp/pwsh-sshs" "#!/bin/sh`nexport PSModulePath='$moduleRoot'`n$launch`n"
        Invoke-Checked chmod @('+x', "$tmp/pwsh-sshs")
        New-Item -ItemType Directory /run/sshd -Force | Out-Null    # sshd's privilege separation directory

        # sshd on the first two hosts; the third host has an address but no sshd: unreachable.
        for ($i = 0; $i -lt 2; $i++) {
            $cfg = "$tmp/sshd_$i.conf"
            Set-Content $cfg @"
ListenAddress $($addr.Hosts[$i])
Port 22
Port 2222
HostKey $tmp/host_key
PidFile $tmp/sshd_$i.pid
AuthorizedKeysFile $tmp/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem powershell $tmp/pwsh-sshs
"@
            $p = [System.Diagnostics.Process]::Start('ip', [string[]] @('netns', 'exec', $ns.Hosts[$i], '/usr/sbin/sshd', '-D', '-f', $cfg, '-E', "$tmp/sshd_$i.log"))
            $sshd.Add($p)
        }
        foreach ($i in 0, 1) {
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while (-not ((Test-Path "$tmp/sshd_$i.log") -and (Get-Content "$tmp/sshd_$i.log" -Raw) -match 'Server listening')) {
                if ([DateTime]::UtcNow -gt $deadline -or $sshd[$i].HasExited) { throw "sshd $i did not start: $(Get-Content "$tmp/sshd_$i.log" -Raw -ErrorAction SilentlyContinue)" }
                Start-Sleep -Milliseconds 100
            }
        }
        $script:ssh = @('-UserName', 'root', '-KeyFilePath', "$tmp/client_key",
            '-SSHOption', "StrictHostKeyChecking=no,UserKnownHostsFile=$tmp/known_hosts,LogLevel=ERROR")
    }

    AfterAll {
        foreach ($p in $sshd) { if (-not $p.HasExited) { $p.Kill(); $p.WaitForExit(5000) | Out-Null } }
        # Whatever still runs in the namespaces (a netserver left by a failed test) was started here: end it by PID.
        foreach ($n in @($ns.Hosts) + $ns.Control) {
            foreach ($procId in @(& ip netns pids $n 2>$null)) { if ($procId) { Stop-Process -Id ([int]$procId) -Force -ErrorAction SilentlyContinue } }
            & ip netns del $n 2>$null
        }
        Remove-Item -Recurse -Force $tmp -ErrorAction SilentlyContinue
    }

    It 'measures every reachable host, reports the unreachable one as its own error, and exits 2' {
        $history = Join-Path $tmp 'history-1'
        $report = Join-Path $tmp 'fleet-1.html'
        $log = Join-Path $tmp 'fleet-1.log'
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $code = Invoke-Fleet (@('-HostName', ($addr.Hosts -join ','), '-HistoryPath', $history, '-ReportPath', $report,
                '-TestName', 'TCP_RR', '-Duration', '1', '-Iterations', '3', '-ThrottleLimit', '3') + $ssh) $log
        $clock.Stop()
        Write-Host "fleet of 3 hosts (1 unreachable): exit $code in $([int]$clock.Elapsed.TotalSeconds) s"
        $text = @(Get-Content $log)
        $code | Should -Be 2 -Because ($text -join "`n")
        # A log that is not a terminal is plain text: the host's error carries no colour escape sequences.
        Get-Content $log -Raw | Should -Not -Match "`e\[" -Because 'cron logs are read with less and mail, not a terminal'

        # The unreachable host: its own line, naming it and the failure.
        $text | Where-Object { $_ -like "$($addr.Hosts[2]): HOST BROKEN*" } | Should -HaveCount 1
        $text -join "`n" | Should -Match ([regex]::Escape("$($addr.Hosts[2])") + '.*PSSessionOpenFailed')
        # The others: one verdict line each, the median host and the other against it.
        $verdicts = @($text | Where-Object { $_ -match '^10\.213\.\d+\.\d+ TCP_RR: ' })
        $verdicts | Should -HaveCount 2
        @($verdicts | Where-Object { $_ -match 'fleet median' }) | Should -HaveCount 1
        @($verdicts | Where-Object { $_ -match ': (ok, \w+|REGRESSION|UNDECIDED \(could detect only ±[\d.]+ %\)); Mean ' }) | Should -HaveCount 1
        $text | Where-Object { $_ -match '^(10\.213|JOB)' } | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }

        # One history with the runs of both reachable hosts, labelled by host, and one report naming them.
        $runs = @(Import-LatencyRun -Path $history)
        $runs | Should -HaveCount 2
        ($runs.Label | Sort-Object) | Should -Be @($addr.Hosts[0], $addr.Hosts[1])
        $runs | ForEach-Object { $_.Status | Should -Be 'Completed'; $_.IterationsCompleted | Should -Be 3 }
        $html = Get-Content $report -Raw
        $html | Should -Match ([regex]::Escape($addr.Hosts[0]))
        $html | Should -Match ([regex]::Escape($addr.Hosts[1]))
        $html | Should -Not -Match ([regex]::Escape($addr.Hosts[2]))
    }

    It 'exits 0 when every host measured and none regressed (3 when one could not have seen a regression); a host can measure against its peer' {
        # A netserver on the second host's address: the first host measures against it (-Peer), the second
        # against its own loopback.
        $server = [System.Diagnostics.Process]::Start('ip', [string[]] @('netns', 'exec', $ns.Hosts[1], 'netserver', '-D', '-L', $addr.Hosts[1], '-p', '12865'))
        try {
            Start-Sleep -Milliseconds 500
            $history = Join-Path $tmp 'history-2.jsonl'
            $log = Join-Path $tmp 'fleet-2.log'
            $code = Invoke-Fleet (@('-HostName', "$($addr.Hosts[0]),$($addr.Hosts[1])", '-HistoryPath', $history,
                    '-Peer', "$($addr.Hosts[0])=$($addr.Hosts[1])", '-TestName', 'TCP_RR', '-Duration', '1', '-Iterations', '3',
                    '-RegressionThreshold', '1000') + $ssh) $log
            $text = @(Get-Content $log)
            Assert-Decided $code $text 1
            $runs = @(Import-LatencyRun -Path $history)
            $runs | Should -HaveCount 2
            ($runs | Where-Object Label -eq $addr.Hosts[0]).ComputerName | Should -Be $addr.Hosts[1]
            ($runs | Where-Object Label -eq $addr.Hosts[1]).ServerCommandLine | Should -Match 'netserver'
        }
        finally {
            if (-not $server.HasExited) { $server.Kill(); $server.WaitForExit(5000) | Out-Null }
        }
    }

    It 'takes hosts with a port as Invoke-Command -HostName does (host:port, user@host:port)' {
        $history = Join-Path $tmp 'history-port.jsonl'
        $log = Join-Path $tmp 'fleet-port.log'
        $hosts = "root@$($addr.Hosts[0]):2222", "$($addr.Hosts[1]):2222"
        $code = Invoke-Fleet (@('-HostName', ($hosts -join ','), '-HistoryPath', $history, '-TestName', 'TCP_RR',
                '-Duration', '1', '-Iterations', '3', '-RegressionThreshold', '1000') + $ssh) $log
        $text = @(Get-Content $log)
        $text | Where-Object { $_ -match 'BROKEN' } | Should -BeNullOrEmpty
        # Each host's verdict, named as its runs name it (no user@, no :port), and nothing else on stdout.
        Assert-Decided $code $text 1
        foreach ($h in $addr.Hosts[0], $addr.Hosts[1]) {
            $text | Where-Object { $_ -match "^$([regex]::Escape($h)) TCP_RR: " } | Should -HaveCount 1
        }
        ((Import-LatencyRun -Path $history).Label | Sort-Object) | Should -Be @($addr.Hosts[0], $addr.Hosts[1])
    }

    It 'exits 1 when a host regressed against the fleet''s median, and names it in its verdict line' {
        # A real slowdown on the second host: a token bucket on its loopback (what its netperf measures) delays every
        # packet once the bucket is empty.
        Invoke-Checked ip @('netns', 'exec', $ns.Hosts[1], 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', '1mbit', 'burst', '1600', 'latency', '50ms')
        try {
            $history = Join-Path $tmp 'history-3.jsonl'
            $log = Join-Path $tmp 'fleet-3.log'
            $code = Invoke-Fleet (@('-HostName', "$($addr.Hosts[0]),$($addr.Hosts[1])", '-HistoryPath', $history,
                    '-TestName', 'TCP_RR', '-Duration', '1', '-Iterations', '5') + $ssh) $log
            $text = @(Get-Content $log)
            $code | Should -Be 1 -Because ($text -join "`n")
            # The faster host is the median of two (the lower middle); the slowed one regressed against it.
            $text | Where-Object { $_ -like "$($addr.Hosts[0]) TCP_RR: fleet median*" } | Should -HaveCount 1
            $text | Where-Object { $_ -like "$($addr.Hosts[1]) TCP_RR: REGRESSION; *" } | Should -HaveCount 1
            $text | Where-Object { $_ -like 'JOB BROKEN*' } | Should -BeNullOrEmpty
            @(Import-LatencyRun -Path $history) | Should -HaveCount 2
        }
        finally {
            & ip netns exec $ns.Hosts[1] tc qdisc del dev lo root 2>$null
        }
    }
}

Describe 'Invoke-FleetLatencyCheck.ps1 arguments' {
    It 'exits 2, not 1, on bad arguments, before connecting anywhere' {
        & $fleet -HostName h1 -HistoryPath (Join-Path $TestDrive h) -Iterations 2 -ErrorAction SilentlyContinue -InformationAction SilentlyContinue
        $LASTEXITCODE | Should -Be 2
        & $fleet -HistoryPath (Join-Path $TestDrive h) -ErrorAction SilentlyContinue -InformationAction SilentlyContinue
        $LASTEXITCODE | Should -Be 2
        & $fleet -HostName h1 -HistoryPath (Join-Path $TestDrive h) -Peer 'h1' -ErrorAction SilentlyContinue -InformationAction SilentlyContinue
        $LASTEXITCODE | Should -Be 2
        Test-Path (Join-Path $TestDrive h) | Should -BeFalse
    }
}
