#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# What Invoke-LatencyComparison starts ends with the pwsh that started it, whatever the signal (a real pwsh killed
# with SIGKILL or SIGHUP, the real podman); what it emits by default (the verdict table); the private netserver it owns;
# the one rule for Onload profile names. The experiment's domain is in tests/OnloadTools.Tests/Latency/ComparisonExperimentTests.cs.

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:Fixtures = (Resolve-Path "$PSScriptRoot/../fixtures").Path
    $script:Work = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-lifetime-$([guid]::NewGuid().ToString('N'))")).FullName

    # A pwsh of its own (the same pwsh as this one) running a script; its output goes to a log file.
    function script:Start-Pwsh([string] $Script) {
        $file = Join-Path $Work "$([guid]::NewGuid().ToString('N')).ps1"
        Set-Content -Path $file -Value "Import-Module '$Manifest'`n$Script *> '$file.log'"
        # Through env --default-signal=HUP (env execs, so the pid is pwsh's): a suite run under nohup would hand the child
        # SIGHUP ignored, and the SIGHUP test would then test nohup (clean-clone CI started with nohup failed it so).
        $psi = [Diagnostics.ProcessStartInfo]::new((Get-Command env -CommandType Application | Select-Object -First 1).Source)
        $psi.ArgumentList.Add('--default-signal=HUP')
        $psi.ArgumentList.Add([Environment]::ProcessPath)
        # Run through dotnet (dotnet pwsh): the first argument is pwsh.dll.
        if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { $psi.ArgumentList.Add([Environment]::GetCommandLineArgs()[0]) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-File', $file) { $psi.ArgumentList.Add($a) }
        $psi.UseShellExecute = $false
        [Diagnostics.Process]::Start($psi)
    }
    function script:Send-Signal([int] $ProcessId, [string] $Signal) {
        & (Get-Command kill -CommandType Application | Select-Object -First 1).Source -s $Signal $ProcessId
    }
    # Names (and states) of the comparison containers a pwsh owns (the owner label starts with its pid).
    function script:Get-OwnedContainer([int] $ProcessId) {
        podman ps --all --filter 'label=io.onloadtools.owner' --format '{{.Names}} {{.State}} {{index .Labels "io.onloadtools.owner"}}' |
            Where-Object { $_ -match " $ProcessId(:|$)" }
    }
    function script:Wait-Until([scriptblock] $Condition, [double] $Seconds) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        while ($sw.Elapsed.TotalSeconds -lt $Seconds) {
            if (& $Condition) { return $sw.Elapsed.TotalSeconds }
            Start-Sleep -Milliseconds 50
        }
        $null
    }
}

AfterAll {
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Invoke-LatencyComparison by default shows verdicts' {
    It 'emits only the comparisons, each with its two runs in Runs; -PassThru adds the runs' {
        $out = @(Invoke-LatencyComparison -Arm @{ Label = 'a' }, @{ Label = 'b' } -Iterations 2 -Duration 1)
        $out | ForEach-Object { $_ | Should -BeOfType ([OnloadTools.LatencyComparison]) }
        $out.Count | Should -BeGreaterThan 0
        $mean = $out | Where-Object Metric -eq Mean
        $mean.TestName | Should -Be @('TCP_RR', 'UDP_RR')
        foreach ($c in $mean) {
            $c.Runs | Should -HaveCount 2
            $c.Runs.Label | Should -Be @('a', 'b')
            $c.Runs[0].TestName | Should -Be $c.TestName
            $c.Runs[0].RunId | Should -BeIn $c.ReferenceRunId
            $c.Runs[1].RunId | Should -BeIn $c.DifferenceRunId
        }
        $lines = @(($out | Out-String -Width 80) -split "`n")
        $lines.Count | Should -BeLessOrEqual 40 -Because 'two tests are one verdict table, not pages of lists'

        $all = @(Invoke-LatencyComparison -Arm @{ Label = 'a' }, @{ Label = 'b' } -TestName TCP_RR -Iterations 2 -Duration 1 -PassThru)
        @($all | Where-Object { $_ -is [OnloadTools.LatencyRun] }).Label | Should -Be @('a', 'b')
        @($all | Where-Object { $_ -is [OnloadTools.LatencyComparison] }).Count | Should -BeGreaterThan 0
    }

    It 'shows in progress and writes in the report the interval at the level of the emitted objects' {
        $report = Join-Path $Work 'adaptive.html'
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$Manifest'; Invoke-LatencyComparison -Arm @{ Label = 'a' }, @{ Label = 'b' } -TestName TCP_RR -Duration 1 -MaxIterations 4 -ReportPath '$report'")
        $out = @($ps.Invoke())
        $ps.Dispose()
        $mean = $out | Where-Object Metric -eq Mean
        $level = '{0:0.#} %' -f ($mean.ConfidenceLevel * 100)
        $mean.ConfidenceLevel | Should -BeGreaterThan 0.95
        # A look that did not decide shows its interval in CurrentOperation, at the level of the emitted comparison. (A
        # test decided at its first look shows none: before it, progress says "first look after 3 per arm".)
        $ops = @($ps.Streams.Progress.CurrentOperation | Where-Object { $_ -match '^TCP_RR: .* at \d' })
        foreach ($op in $ops) { $op | Should -Match ([regex]::Escape("at $level")) }
        # The report's sentence: the same level and the same interval as the object.
        $f = [Globalization.CultureInfo]::InvariantCulture
        if ($null -ne $mean.ConfidenceIntervalLow -and $null -ne $mean.ConfidenceIntervalHigh) {
            $interval = '{0} % CI of the difference {1} % to {2} %' -f ($mean.ConfidenceLevel * 100).ToString('0.###', $f),
                $mean.ConfidenceIntervalLow.ToString('+0.0;-0.0;0.0', $f), $mean.ConfidenceIntervalHigh.ToString('+0.0;-0.0;0.0', $f)
            Get-Content -Raw $report | Should -Match ([regex]::Escape($interval))
        }
        else { Get-Content -Raw $report | Should -Match 'confidence interval is unbounded' }
        Get-Content -Raw $report | Should -Not -Match '\b95 % CI' -Because 'the report is at the rule''s adjusted level'
    }
}

Describe 'Invoke-LatencyComparison owns its private netserver' {
    It 'does not measure against another process''s netserver on the default port, which may go away mid-experiment' {
        # Something else answers on 12865 for one connection, then goes away (another user's netserver ending).
        $probe = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 12865)
        try { $probe.Start() } catch { Set-ItResult -Skipped -Because 'port 12865 is in use on this host'; return }
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({ param($l) $c = $l.AcceptTcpClient(); $l.Stop(); $c.Dispose() }).AddArgument($probe)
            $null = $ps.BeginInvoke()
            $out = Invoke-LatencyComparison -Arm @{ Label = 'a' }, @{ Label = 'b' } -TestName TCP_RR -Iterations 2 -Duration 1 -PassThru -ErrorVariable e -ErrorAction SilentlyContinue
            $e | Should -BeNullOrEmpty
            $runs = @($out | Where-Object { $_ -is [OnloadTools.LatencyRun] })
            $runs | ForEach-Object { $_.Port | Should -Not -Be 12865; $_.Samples | Should -HaveCount 2 }
            $runs[0].ServerCommandLine | Should -Match 'netserver'
        }
        finally {
            $probe.Stop()
            $ps.Dispose()
        }
    }

    It 'says once that its private netserver stopped answering, without telling to omit a -ComputerName not given' {
        # Arm b's Prepare kills the private netserver (a child of this pwsh's tether) before b's first iteration.
        $killServer = {
            if ($args[0] -ne 'b') { return }
            foreach ($dir in Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$') {
                $stat = Get-Content -Raw -LiteralPath "$($dir.FullName)/stat" -ErrorAction Ignore
                if ($stat -notmatch '^(\d+) \(netserver\) \S (\d+) ') { continue }
                $server = [int]$Matches[1]
                $parent = Get-Content -Raw -LiteralPath "/proc/$($Matches[2])/stat" -ErrorAction Ignore
                if ($parent -match '^\d+ \(timeout\) \S (\d+) ' -and [int]$Matches[1] -eq $PID) { Stop-Process -Id $server -Force }
            }
            Start-Sleep -Milliseconds 300
        }
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$Manifest'; Invoke-LatencyComparison -Arm @{ Label = 'a' }, @{ Label = 'b'; Prepare = { $killServer } } -TestName TCP_RR -Iterations 3 -Duration 1")
        $out = @($ps.Invoke())
        $errors = @($ps.Streams.Error)
        $ps.Dispose()
        $errors | Should -HaveCount 1 -Because 'one failure is one error (it was written, then thrown again)'
        $errors[0].FullyQualifiedErrorId | Should -Be 'NetserverUnreachable,OnloadTools.Commands.InvokeLatencyComparisonCommand'
        "$errors" | Should -Match 'private netserver this command started'
        $errors[0].ErrorDetails.RecommendedAction | Should -Not -Match 'ComputerName'
        # What a measured before the server went is still there: its run, with nothing to compare it with.
        $out | Should -HaveCount 1
        $out[0].Label | Should -Be 'a'
        $out[0].Samples | Should -HaveCount 1
    }
}

Describe 'Invoke-LatencyComparison validates an arm''s Onload profile as -OnloadProfile' {
    It 'refuses <Profile> in -Arm and in -OnloadProfile before anything runs' -ForEach @(
        @{ Profile = '../../etc/passwd' }, @{ Profile = '..' }, @{ Profile = '-x' }, @{ Profile = 'a b' }
    ) {
        { Invoke-LatencyComparison -Arm @{ Label = 'a' }, @{ Label = 'b'; Onload = $true; OnloadProfile = $Profile } -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArm,OnloadTools.Commands.InvokeLatencyComparisonCommand'
        { Invoke-LatencyComparison -Arm @{ Label = 'a' }, @{ Label = 'b' } -OnloadProfile $Profile -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,OnloadTools.Commands.InvokeLatencyComparisonCommand'
    }

    It 'accepts a profile name in both' {
        { Invoke-LatencyComparison -Arm @{ Label = 'a' }, @{ Label = 'b'; OnloadProfile = 'latency-best.v2' } -OnloadProfile throughput -WhatIf } | Should -Not -Throw
    }
}

Describe 'Invoke-LatencyComparison''s container ends with its pwsh' -Tag Podman {
    BeforeAll {
        . "$PSScriptRoot/ContainerTestHelpers.ps1"
        $script:SavedConf = $env:CONTAINERS_CONF
        if (-not $env:CONTAINERS_CONF) { $env:CONTAINERS_CONF = '/etc/containers/onloadtools-ci.conf' }
        # The plain base image (netperf, no Onload) is enough for a container arm.
        $script:Base = 'localhost/onloadtools-lifetime-base'
        $script:BuiltBase = Initialize-TestBaseImage $Base
        $script:Comparison = "Invoke-LatencyComparison -Arm @{ Label = 'host' }, @{ Label = 'ctr'; Image = '$Base' } -TestName TCP_RR -Iterations 5 -Duration 2"
    }
    AfterAll {
        if ($BuiltBase -and $env:ONLOADTOOLS_TEST_KEEP_BASE -ne '1') { podman rmi --force $Base | Out-Null }
        $env:CONTAINERS_CONF = $script:SavedConf
    }

    It 'removes the container within 10 s of a SIGKILL of the pwsh running the comparison' {
        $pwsh = Start-Pwsh $Comparison
        try {
            Wait-Until { Get-OwnedContainer $pwsh.Id | Where-Object { $_ -match ' Up ' } } 90 | Should -Not -BeNullOrEmpty
            Start-Sleep -Seconds 2   # measuring
            $pwsh.Kill()             # SIGKILL: no cleanup of its own runs
            Wait-Until { -not (Get-OwnedContainer $pwsh.Id) } 10 | Should -Not -BeNullOrEmpty -Because 'the container must not outlive its pwsh'
        }
        finally { if (-not $pwsh.HasExited) { $pwsh.Kill() } }
    }

    It 'removes the container within 10 s of a SIGHUP while podman starts it' {
        $pwsh = Start-Pwsh $Comparison
        try {
            # As soon as the engine knows the container (created, not yet measuring).
            Wait-Until { Get-OwnedContainer $pwsh.Id } 90 | Should -Not -BeNullOrEmpty
            Send-Signal $pwsh.Id HUP
            Wait-Until { -not (Get-OwnedContainer $pwsh.Id) } 10 | Should -Not -BeNullOrEmpty -Because 'the container must not outlive its pwsh'
            $pwsh.WaitForExit(15000) | Should -BeTrue
        }
        finally { if (-not $pwsh.HasExited) { $pwsh.Kill() } }
    }

    It 'removes the container within 10 s of a SIGKILL while podman is still creating it' {
        # The client is killed mid-creation (the tether): the reaper waiting for its lock removes what the engine left.
        function Get-CommandLine { Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | ForEach-Object {
                try { ((Get-Content -Raw -LiteralPath "$($_.FullName)/cmdline" -ErrorAction Stop) -split "`0") -join ' ' } catch { } } }
        $pwsh = Start-Pwsh $Comparison
        try {
            $script:run = $null
            Wait-Until { ($script:run = Get-CommandLine | Where-Object { $_ -match "podman run .*owner=$($pwsh.Id):" } | Select-Object -First 1) } 90 | Should -Not -BeNullOrEmpty
            $pwsh.Kill()
            $name = [regex]::Match($script:run, '--name (\S+)').Groups[1].Value
            $name | Should -Match '^onloadtools-comparison-'
            Start-Sleep -Seconds 2   # whatever the engine was doing settles
            Wait-Until { -not (podman ps --all --quiet --filter "name=$name") } 8 | Should -Not -BeNullOrEmpty -Because 'a container created for a dead pwsh must not stay'
            Get-CommandLine | Where-Object { $_ -match [regex]::Escape($name) } | Should -BeNullOrEmpty -Because 'the client and the reaper are gone too'
        }
        finally { if (-not $pwsh.HasExited) { $pwsh.Kill() } }
    }

    It 'removes a comparison container whose owner is gone, and leaves a live owner''s alone' {
        $tag = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $dead = "onloadtools-comparison-dead$tag"
        $live = "onloadtools-comparison-live$tag"
        $start = ((Get-Content -Raw "/proc/$PID/stat") -replace '^.*\) ', '' -split ' ')[19]
        try {
            podman create --name $dead --label 'io.onloadtools.owner=999999999:1' $Base sleep infinity | Out-Null
            podman create --name $live --label "io.onloadtools.owner=${PID}:$start" $Base sleep infinity | Out-Null
            $out = Invoke-LatencyComparison -Arm @{ Label = 'host' }, @{ Label = 'ctr'; Image = $Base } -TestName TCP_RR -Iterations 2 -Duration 1 -Verbose 4>&1
            ($out | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message | Should -Contain "Removed container $dead, left by a comparison whose pwsh is gone."
            podman container exists $dead; $LASTEXITCODE | Should -Be 1
            podman container exists $live; $LASTEXITCODE | Should -Be 0
            @(Get-OwnedContainer $PID | Where-Object { $_ -notmatch $live }) | Should -BeNullOrEmpty -Because 'the comparison removed its own container'
        }
        finally { foreach ($n in $dead, $live) { podman rm --force $n 2>&1 | Out-Null } }
    }
}
