#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Tab completion where a value set exists, through TabExpansion2 as the console does it: Onload profiles (the fake
# host's profile directory, where Get-OnloadInfo finds them), run labels (bound, piped, stored in a history) and
# images with the real podman (two images imported from an empty tarball, one with the Onload label), and running
# containers with the real podman (two containers of a tiny image holding only sleep and its libraries).

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:SavedRoot = $env:ONLOADTOOLS_HOST_ROOT
    function script:Complete([string] $Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches | ForEach-Object CompletionText)
    }
    function script:New-Run([string] $Label, [string] $Test = 'TCP_RR') {
        $run = [OnloadTools.LatencyRun]::new()
        $run.Label = $Label; $run.TestName = $Test; $run.Status = 'Completed'; $run.StartTime = [datetime]::UtcNow
        $run.Samples = [OnloadTools.LatencySample[]]@(1..3 | ForEach-Object { [OnloadTools.LatencySample]@{ TestName = $Test; Iteration = $_; MeanLatency = 20 + $_ } })
        $run
    }
}

AfterAll {
    $env:ONLOADTOOLS_HOST_ROOT = $SavedRoot
    Remove-Variable -Scope Global -Name otCompletionRuns -ErrorAction Ignore
}

Describe 'Completion of interface names and container engines' {
    BeforeAll { $env:ONLOADTOOLS_HOST_ROOT = (Resolve-Path "$PSScriptRoot/../fixtures/hosts/sfc-dual-port").Path }
    AfterAll { $env:ONLOADTOOLS_HOST_ROOT = $SavedRoot }

    It 'offers every interface where any will do, and only the sfc ones to the Solarflare cmdlets (one completer)' {
        foreach ($line in 'Get-NicCpuAffinity -InterfaceName ', 'Test-OnloadHost -InterfaceName ', 'Start-OnloadContainer -InterfaceName ') {
            Complete $line | Should -Be @('eth0', 'lo', 'p1p1', 'p1p2', 'p1p3', 'p1p4')
        }
        foreach ($line in 'Get-SfcAdapter -InterfaceName ', 'Update-SfcFirmware -InterfaceName ', 'Get-SfcInterface -Name ') {
            Complete $line | Should -Be @('p1p1', 'p1p2', 'p1p3', 'p1p4')
        }
        $line = 'Get-NicCpuAffinity -InterfaceName p1p1'
        $tip = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches[0].ToolTip
        $tip | Should -Be 'p1p1 (sfc)'
    }

    It 'offers the engines the module drives to every -Engine (one list), and refuses another' {
        Complete 'Test-OnloadHost -Engine ' | Should -Be @('podman', 'docker')
        Complete 'Test-OnloadHost -Engine d' | Should -Be @('docker')
        Complete 'Get-OnloadImage -Engine ' | Should -Be @('podman', 'docker')
        Complete 'Start-OnloadContainer -Engine p' | Should -Be @('podman')
        { Test-OnloadHost -Engine bogus } | Should -Throw -ErrorId 'ParameterArgumentValidationError,OnloadTools.Commands.TestOnloadHostCommand'
    }
}

Describe 'Completion of -OnloadProfile' {
    BeforeAll { $env:ONLOADTOOLS_HOST_ROOT = (Resolve-Path "$PSScriptRoot/../fixtures/hosts/sfc-dual-port").Path }
    AfterAll { $env:ONLOADTOOLS_HOST_ROOT = $SavedRoot }

    It 'offers the installed Onload profiles for <_>' -ForEach 'Measure-NetperfLatency', 'Measure-SockperfLatency' {
        $installed = (Get-OnloadInfo).Profiles
        $installed.Count | Should -BeGreaterThan 1
        Complete "$_ -OnloadProfile " | Should -Be @($installed | Sort-Object)
        $first = $installed[0]
        Complete "$_ -OnloadProfile $($first.Substring(0, 3))" | Should -Contain $first
        Complete "$_ -OnloadProfile zz-none" | Should -BeNullOrEmpty
    }
}

Describe 'Completion of -ReferenceLabel' {
    BeforeAll {
        $global:otCompletionRuns = @((New-Run 'bare-metal'), (New-Run 'onload container'), (New-Run 'bare-metal' 'UDP_RR'))
        $script:History = Join-Path $TestDrive 'history'
        @((New-Run 'nightly-2026-11-29'), (New-Run 'nightly-2026-11-30')) | Export-LatencyRun -Path $History
    }

    It 'offers the labels of the runs piped from a variable into <_>' -ForEach 'Compare-LatencyRun', 'Export-LatencyReport -Path r.html' {
        Complete "`$otCompletionRuns | $_ -ReferenceLabel " | Should -Be @('bare-metal', "'onload container'")
        Complete "`$otCompletionRuns | $_ -ReferenceLabel bare" | Should -Be @('bare-metal')
    }

    It 'offers the labels of the runs bound to -InputObject' {
        Complete 'Export-LatencyReport -InputObject $otCompletionRuns -Path r.html -ReferenceLabel ' |
            Should -Be @('bare-metal', "'onload container'")
    }

    It 'offers the labels stored in the history an upstream Import-LatencyRun reads' {
        Complete "Import-LatencyRun -Path '$History' | Export-LatencyReport -Path r.html -ReferenceLabel " | Should -Be @('nightly-2026-11-29', 'nightly-2026-11-30')
        Complete "Import-LatencyRun '$History' | Compare-LatencyRun -ReferenceLabel nightly-2026-11-3" | Should -Be @('nightly-2026-11-30')
    }
}

Describe 'Completion of Start-OnloadContainer -Image (real podman)' -Tag Podman {
    BeforeAll {
        $script:SavedConf = $env:CONTAINERS_CONF
        if (-not $env:CONTAINERS_CONF -and (Test-Path /etc/containers/onloadtools-ci.conf)) { $env:CONTAINERS_CONF = '/etc/containers/onloadtools-ci.conf' }
        $tar = Join-Path $TestDrive 'empty.tar'
        & tar -cf $tar --files-from /dev/null
        $script:Suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:Onload = "localhost/ot-completion-$Suffix-onload:8.1.2.26"
        $script:Plain = "localhost/ot-completion-$Suffix-aplain:1"
        & podman import --change 'LABEL org.openonload.version=8.1.2.26' $tar $Onload | Out-Null
        & podman import $tar $Plain | Out-Null
    }
    AfterAll {
        & podman rmi $Onload $Plain 2>&1 | Out-Null
        $env:CONTAINERS_CONF = $SavedConf
    }

    It 'offers images with Onload before the others' {
        $all = Complete "Start-OnloadContainer -Image localhost/ot-completion-$Suffix"
        $all | Should -Be @($Onload, $Plain)
        $everything = Complete 'Start-OnloadContainer -Image '
        $everything.IndexOf($Onload) | Should -BeLessThan $everything.IndexOf($Plain)
    }
}

Describe 'Completion of Measure-NetperfLatency -Container (real podman)' -Tag Podman {
    BeforeAll {
        $script:SavedConf = $env:CONTAINERS_CONF
        if (-not $env:CONTAINERS_CONF -and (Test-Path /etc/containers/onloadtools-ci.conf)) { $env:CONTAINERS_CONF = '/etc/containers/onloadtools-ci.conf' }
        # A root file system with sleep and the libraries it loads: enough for a container that keeps running.
        $root = Join-Path $TestDrive 'sleeproot'
        $sleep = (Get-Command sleep -CommandType Application | Select-Object -First 1).Source
        $files = @($sleep) + @(& ldd $sleep | ForEach-Object { if ($_ -match '(/\S+) \(0x') { $Matches[1] } })
        foreach ($f in $files) {
            New-Item -ItemType Directory -Force -Path (Join-Path $root (Split-Path $f)) | Out-Null
            Copy-Item -LiteralPath $f -Destination (Join-Path $root $f)
        }
        $tar = Join-Path $TestDrive 'sleep.tar'
        & tar -C $root -chf $tar .
        $script:Suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:Image = "localhost/ot-completion-sleep-${Suffix}:1"
        & podman import $tar $Image | Out-Null
        $script:WithOnload = "ot-completion-$Suffix-onload"
        $script:Without = "ot-completion-$Suffix-plain"
        $script:Stopped = "ot-completion-$Suffix-stopped"
        & podman run -d --name $WithOnload --label org.openonload.version=8.1.2.26 $Image $sleep 600 | Out-Null
        & podman run -d --name $Without $Image $sleep 600 | Out-Null
        & podman create --name $Stopped --label org.openonload.version=8.1.2.26 $Image $sleep 600 | Out-Null
    }
    AfterAll {
        & podman rm -f -t 0 $WithOnload $Without $Stopped 2>&1 | Out-Null
        & podman rmi $Image 2>&1 | Out-Null
        $env:CONTAINERS_CONF = $SavedConf
    }

    It 'offers only the running containers that carry Onload' {
        & podman ps --format '{{.Names}}' | Should -Contain $Without   # the other container is really running
        Complete "Measure-NetperfLatency -Container ot-completion-$Suffix" | Should -Be @($WithOnload)
    }

    It 'completes a partly typed name, and offers nothing for a container without Onload' {
        Complete "Measure-NetperfLatency -Container ot-completion-$Suffix-on" | Should -Be @($WithOnload)
        Complete "Measure-NetperfLatency -Container ot-completion-$Suffix-pl" | Should -BeNullOrEmpty
    }
}
