# Pester 5 tests of the container cmdlets: the docker CLI's arguments through the recording double
# (tests/fixtures/bin-docker), bad names refused before anything runs, no engine, and (tags Podman, Docker) the real
# podman workflow against a debootstrapped base image and the same on a private dockerd. Both real blocks need root;
# exclude them with `Invoke-Pester -ExcludeTagFilter Podman,Docker`. (Dockerfile generation, name rules and the parsing of
# the engines' output are tested in xunit: tests/OnloadTools.Tests/Containers/ContainerDomainTests.cs.)

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:Fixtures = (Resolve-Path "$PSScriptRoot/../fixtures").Path
    $script:Tag = 'localhost/onload-netperf:8.1.2.26'

    function New-TestEnvironment {
        param([switch] $Docker, [string[]] $Devices = @('onload', 'onload_epoll', 'onload_cplane'), [string] $OnlyPath)
        $saved = @{}
        foreach ($n in 'PATH', 'ONLOADTOOLS_DOUBLE_STATE', 'ONLOADTOOLS_HOST_ROOT', 'ONLOADTOOLS_DOUBLE_ONLOAD_VERSION', 'ONLOADTOOLS_DOUBLE_DOCKERD', 'CONTAINERS_CONF') {
            $saved[$n] = [Environment]::GetEnvironmentVariable($n)
        }
        $state = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-state-$([guid]::NewGuid().ToString('N'))")).FullName
        $root = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-host-$([guid]::NewGuid().ToString('N'))")).FullName
        New-Item -ItemType Directory -Path "$root/dev", "$root/sys/class/net/lo" | Out-Null
        foreach ($d in $Devices) { New-Item -ItemType SymbolicLink -Path "$root/dev/$d" -Target /dev/null | Out-Null }
        $dirs = @()
        if ($Docker) { $dirs += "$Fixtures/bin-docker" }
        $dirs += "$Fixtures/containers/host-bin"
        $env:PATH = if ($OnlyPath) { $OnlyPath } else { ($dirs -join ':') + ':' + $env:PATH }
        $env:ONLOADTOOLS_DOUBLE_STATE = $state
        $env:ONLOADTOOLS_HOST_ROOT = $root
        $env:ONLOADTOOLS_DOUBLE_ONLOAD_VERSION = $null
        $env:ONLOADTOOLS_DOUBLE_DOCKERD = $null
        if (-not $env:CONTAINERS_CONF) { $env:CONTAINERS_CONF = "$Fixtures/containers/containers.conf" }
        [pscustomobject]@{ State = $state; Root = $root; Saved = $saved }
    }

    function Remove-TestEnvironment($t) {
        foreach ($k in $t.Saved.Keys) { [Environment]::SetEnvironmentVariable($k, $t.Saved[$k]) }
        Remove-Item -Recurse -Force $t.State, $t.Root -ErrorAction SilentlyContinue
    }

    function Get-DockerCall($t) {
        $log = Join-Path $t.State 'docker.log'
        if (-not (Test-Path $log)) { return ,@() }
        , @(Get-Content $log | ForEach-Object { , ($_ -split "`t") })
    }

    . "$PSScriptRoot/ContainerTestHelpers.ps1"

    # Runs a script in a runspace of its own with the module imported: output and every stream, progress included.
    function Invoke-WithStreams([string] $Script, [hashtable] $Parameters = @{}) {
        $ps = [powershell]::Create()
        try {
            $names = @($Parameters.Keys | ForEach-Object { "`$$_" }) -join ', '
            $null = $ps.AddScript("param($names) Import-Module '$script:Manifest'; $Script").AddParameters($Parameters)
            $out = $ps.Invoke()
            [pscustomobject]@{ Output = @($out); Errors = @($ps.Streams.Error); Warnings = @($ps.Streams.Warning); Progress = @($ps.Streams.Progress) }
        }
        finally { $ps.Dispose() }
    }
}

Describe 'Container cmdlets with the docker CLI (recording double)' {
    BeforeEach { $script:T = New-TestEnvironment -Docker }
    AfterEach { Remove-TestEnvironment $script:T }

    It 'New-OnloadImage builds the generated Dockerfile and reports the image' {
        $work = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-img-$([guid]::NewGuid().ToString('N'))")).FullName
        try {
            $deb = New-OnloadTestDeb $work
            $df = Join-Path $work 'kept/Dockerfile'
            $r = Invoke-WithStreams 'New-OnloadImage -Tag $tag -BaseImage localhost/onloadtools-test-base -OnloadPackage (Get-Item $deb) -Engine docker -DockerfilePath $df' @{ tag = $Tag; deb = $deb; df = $df }
            $r.Errors | Should -BeNullOrEmpty
            $r.Output.Count | Should -Be 1
            $image = $r.Output[0]
            $image | Should -BeOfType OnloadTools.OnloadImage
            $calls = Get-DockerCall $T
            $calls.Count | Should -Be 4
            $calls[0][0..4] | Should -Be @('build', '--tag', $Tag, '--file', $df)
            $context = $calls[0][5]
            $context | Should -BeLike "$([IO.Path]::GetTempPath().TrimEnd('/'))/onloadtools-build-*"
            Test-Path $context | Should -BeFalse   # the build context is cleaned up
            @(Get-Content (Join-Path $T.State 'context.list') | Where-Object { $_ -ne 'Dockerfile' }) | Should -Be @('onload-test-double.deb')
            $calls[1] | Should -Be @('image', 'inspect', $Tag)
            $calls[2][0..5] | Should -Be @('run', '--rm', '--network=none', '--entrypoint', 'rpm', $image.Id)
            $calls[3] | Should -Be @('run', '--rm', '--network=none', '--entrypoint', 'dpkg-query', $image.Id, '-W', '-f', '${Package}\t${Version}\n')
            # The file the engine built from is the one kept, and the one returned.
            $built = Get-Content -Raw (Join-Path $T.State 'Dockerfile.built')
            $built | Should -BeExactly (Get-Content -Raw $df)
            $image.Dockerfile | Should -BeExactly $built
            $built | Should -Match 'FROM localhost/onloadtools-test-base\n'
            $built | Should -Match ([regex]::Escape('COPY ["onload-test-double.deb", "/tmp/onloadtools-packages/"]'))
            $built | Should -Match ([regex]::Escape('apt-get install -y --no-install-recommends /tmp/onloadtools-packages/onload-test-double.deb'))
            # Version from the package header (the file name has none); devices from the (fake) host's /dev.
            $built | Should -Match 'org\.openonload\.version="8\.1\.2\.26"'
            $built | Should -Match ([regex]::Escape('RUN="podman run -d --name NAME --net=host --init --device=/dev/onload --device=/dev/onload_epoll --device=/dev/onload_cplane IMAGE"'))
            $built | Should -Match ([regex]::Escape('CMD ["onload", "--profile=latency", "netserver", "-D"]'))
            $image.BuildCommandLine | Should -Be "docker build --tag $Tag --file $df $context"
            $image.Engine | Should -Be 'docker'
            $image.Packages | Should -Be @('netperf 2.7.0-0.1', 'onload 8.1.2.26-1')
            $image.OnloadVersionMatchesHost | Should -BeTrue
            $image.PackageQueryCommandLine | Should -BeLike 'docker run --rm --network=none --entrypoint dpkg-query*'
            # Progress follows docker's "Step n/m" lines.
            @($r.Progress | Where-Object { $_.StatusDescription -like '*step *' -and $_.StatusDescription -like '* of *' }).Count | Should -BeGreaterThan 0
            $r.Progress[-1].RecordType | Should -Be 'Completed'
        }
        finally { Remove-Item -Recurse -Force $work }
    }

    It 'New-OnloadImage -WhatIf returns the Dockerfile and build command and runs nothing' {
        $work = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-img-$([guid]::NewGuid().ToString('N'))")).FullName
        try {
            $deb = New-OnloadTestDeb $work '8.2.0.5'
            $df = Join-Path $work 'Dockerfile'
            $plan = [pscustomobject]@{ Path = $deb; Version = '7.0' } | New-OnloadImage -Tag $Tag -BaseImage ubi9 -Engine docker -DockerfilePath $df -Command netserver, -D -WhatIf
            @($plan).Count | Should -Be 1
            $plan.GetType().FullName | Should -Be 'OnloadTools.OnloadImageBuildPlan'
            $plan.OnloadVersion | Should -Be '8.2.0.5'   # the header wins over the object's Version
            $plan.Packages | Should -Be @($deb)
            $plan.BuildCommandLine | Should -BeLike "docker build --tag $Tag --file $df *"
            $plan.Dockerfile | Should -Match ([regex]::Escape('CMD ["netserver", "-D"]'))
            $plan.Dockerfile | Should -Match 'FROM ubi9\n'
            Test-Path $df | Should -BeFalse
            (Get-DockerCall $T).Count | Should -Be 0
        }
        finally { Remove-Item -Recurse -Force $work }
    }

    It 'New-OnloadImage warns before building when the command runs netserver and no netperf package is given' {
        $work = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-img-$([guid]::NewGuid().ToString('N'))")).FullName
        try {
            $deb = New-OnloadTestDeb $work
            $plan = New-OnloadImage -Tag $Tag -BaseImage ubi9 -OnloadPackage $deb -Engine docker -WhatIf -WarningVariable w -WarningAction SilentlyContinue
            $plan | Should -Not -BeNullOrEmpty
            $about = @($w | Where-Object { "$_" -like '*runs netserver*' })
            $about | Should -HaveCount 1
            "$($about[0])" | Should -BeLike "*no netperf package file was given (-Package)*unless the base image 'ubi9' already has netperf*"
            # with netperf's package file, or a command that is not netserver, there is nothing to say
            $netperf = Join-Path $work 'netperf_2.7.0-0.1_amd64.deb'
            Copy-Item $deb $netperf
            $null = New-OnloadImage -Tag $Tag -BaseImage ubi9 -OnloadPackage $deb -Package $netperf -Engine docker -WhatIf -WarningVariable w2 -WarningAction SilentlyContinue
            @($w2 | Where-Object { "$_" -like '*runs netserver*' }) | Should -HaveCount 0
            $null = New-OnloadImage -Tag $Tag -BaseImage ubi9 -OnloadPackage $deb -Command sleep, infinity -Engine docker -WhatIf -WarningVariable w3 -WarningAction SilentlyContinue
            @($w3 | Where-Object { "$_" -like '*runs netserver*' }) | Should -HaveCount 0
            (Get-DockerCall $T).Count | Should -Be 0
        }
        finally { Remove-Item -Recurse -Force $work }
    }

    It 'reports a failed build with the engine''s words and leaves no build context' {
        $script:out = $null
        $err = { $script:out = New-OnloadImage -Tag $Tag -BaseImage nosuch-base -OnloadVersion 8.1.2.26 -Engine docker } | Should -Throw -PassThru
        $script:out | Should -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'ImageBuildFailed,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidResult'
        $err.Exception.Message | Should -Match 'pull access denied'
        $err.Exception.Message | Should -Match 'exited with code 1'
        $calls = Get-DockerCall $T
        $calls.Count | Should -Be 1   # nothing inspected after a failed build
        Test-Path $calls[0][5] | Should -BeFalse
    }

    It 'Start-OnloadContainer passes the host devices, --net=host, --init and netserver options' {
        Remove-Item "$($T.Root)/dev/onload_cplane"
        New-Item -ItemType SymbolicLink -Path "$($T.Root)/dev/sfc_char" -Target /dev/null | Out-Null
        $c = Start-OnloadContainer -Image $Tag -Name c1 -Engine docker -ReadOnly -InterfaceName lo -Port 23865 -WarningVariable w
        $r = $T.Root
        $expected = @('run', '--detach', '--name', 'c1', '--net=host', '--init',
            "--device=$r/dev/onload:/dev/onload", "--device=$r/dev/onload_epoll:/dev/onload_epoll", "--device=$r/dev/sfc_char:/dev/sfc_char",
            '--read-only', '--tmpfs', '/tmp', '--tmpfs', '/run', $Tag,
            'onload', '--profile=latency', 'netserver', '-D', '-p', '23865', '-L', '127.0.0.1')
        $calls = Get-DockerCall $T
        $calls[0] | Should -Be @('image', 'inspect', $Tag)
        $calls[1] | Should -Be $expected
        $calls[2] | Should -Be @('container', 'inspect', '44dd5a2ed8a61326b11cce47270e7d3da17c1f987f92a9fab4d6e9dbba33d643')
        @($c).Count | Should -Be 1
        $c | Should -BeOfType OnloadTools.OnloadContainer
        $c.Name | Should -Be 'c1'
        $c.Engine | Should -Be 'docker'
        $c.CommandLine | Should -Be ('docker ' + ($expected -join ' '))
        $w | Should -BeNullOrEmpty   # versions match, devices present, not privileged
    }

    It '-Privileged is passed only when asked, with a warning' {
        Get-ChildItem "$($T.Root)/dev" | Remove-Item
        $c = Start-OnloadContainer $Tag c2 -Engine docker -Privileged -Network bridge -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable e
        $e | Should -BeNullOrEmpty
        @($c).Count | Should -Be 1
        (Get-DockerCall $T)[1] | Should -Be @('run', '--detach', '--name', 'c2', '--net=bridge', '--init', '--privileged', $Tag)
        @($w | Where-Object { $_.Message -match 'SELinux' -and $_.Message -match 'capability' }).Count | Should -BeGreaterThan 0
        @($w | Where-Object { $_.Message -match 'none of the Onload device nodes' }).Count | Should -BeGreaterThan 0
    }

    It 'refuses differing Onload versions unless -Force' {
        $env:ONLOADTOOLS_DOUBLE_ONLOAD_VERSION = '9.0.1.3'
        $out = Start-OnloadContainer $Tag c3 -Engine docker -ErrorVariable e -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -Be 'OnloadVersionMismatch,OnloadTools.Commands.StartOnloadContainerCommand'
        $e[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $e[0].Exception.Message | Should -Match '8\.1\.2\.26'
        $e[0].Exception.Message | Should -Match '9\.0\.1\.3'
        ((Get-DockerCall $T) | Where-Object { $_[0] -eq 'run' }) | Should -BeNullOrEmpty
        $forced = Start-OnloadContainer $Tag c3 -Engine docker -Force -WarningVariable w -WarningAction SilentlyContinue
        @($forced).Count | Should -Be 1
        ((Get-DockerCall $T) | Where-Object { $_[0] -eq 'run' }) | Should -Not -BeNullOrEmpty
        @($w | Where-Object { $_.Message -match '9\.0\.1\.3' -and $_.Message -match '-Force' }).Count | Should -BeGreaterThan 0
    }

    It 'Get and Stop work in a pipeline with the engine of the objects' {
        $listed = @(Get-OnloadContainer -Engine docker)
        $listed.Count | Should -Be 1
        (Get-DockerCall $T)[0] | Should -Be @('ps', '--all', '--quiet', '--no-trunc', '--filter', 'label=org.openonload.version')
        $listed[0].Name | Should -Be 'runlike_fixture6'
        $listed[0].Privileged | Should -BeTrue

        # No -Engine on Stop: the piped object says docker (podman, first on PATH, is not asked).
        $out = Get-OnloadContainer c4 -Engine docker | Stop-OnloadContainer -Remove -Timeout 2 -ErrorVariable e
        $e | Should -BeNullOrEmpty
        $out | Should -BeNullOrEmpty
        $calls = Get-DockerCall $T
        $calls[-3] | Should -Be @('container', 'inspect', 'c4')
        $calls[-2] | Should -Be @('stop', '-t', '2', 'c4')
        $calls[-1] | Should -Be @('rm', 'c4')

        ('c5', 'c6' | Stop-OnloadContainer -Engine docker -PassThru).Name | Should -Be @('c5', 'c6')
        (Get-DockerCall $T) | Where-Object { $_[0] -eq 'rm' -and $_[1] -ne 'c4' } | Should -BeNullOrEmpty

        Stop-OnloadContainer c7 -Engine docker -Remove -WhatIf
        (Get-DockerCall $T) | Where-Object { $_ -contains 'c7' } | Should -BeNullOrEmpty
    }

    It 'accepts deserialized objects (property bags) with their engine' {
        [pscustomobject]@{ PSTypeName = 'Deserialized.OnloadTools.OnloadContainer'; Name = 'c14'; Engine = 'docker' } | Stop-OnloadContainer -ErrorVariable e
        $e | Should -BeNullOrEmpty
        (Get-DockerCall $T)[-1] | Should -Be @('stop', '-t', '10', 'c14')
        $c = [pscustomobject]@{ PSTypeName = 'Deserialized.OnloadTools.OnloadImage'; Name = $Tag; Tags = @($Tag); Engine = 'docker' } | Start-OnloadContainer -Name c15 -ErrorVariable e
        $e | Should -BeNullOrEmpty
        $c.Name | Should -Be 'c15'
        @((Get-DockerCall $T) | Where-Object { $_[0] -eq 'run' })[-1][-1] | Should -Be $Tag
    }

    It 'Get-OnloadImage reports labels, packages and the host match' {
        $image = @(Get-OnloadImage -Engine docker -PackageName bash -ErrorVariable e)
        $e | Should -BeNullOrEmpty
        $image.Count | Should -Be 1
        (Get-DockerCall $T)[0] | Should -Be @('images', '--quiet', '--no-trunc', '--filter', 'label=org.openonload.version')
        $image[0].Name | Should -Be $Tag
        $image[0].OnloadVersion | Should -Be '8.1.2.26'
        $image[0].HostOnloadVersion | Should -Be '8.1.2.26'
        $image[0].OnloadVersionMatchesHost | Should -BeTrue
        $image[0].Packages | Should -Be @('bash 5.2.15-2+b7', 'netperf 2.7.0-0.1', 'onload 8.1.2.26-1')
        $image[0].Size | Should -Be 245612345
        $image[0].Labels | Should -Contain 'org.openonload.version=8.1.2.26'

        $piped = @(Get-OnloadContainer c8 -Engine docker | Get-OnloadImage -NoPackageQuery)
        $piped.Count | Should -Be 1
        $piped[0].Packages | Should -BeNullOrEmpty
        (Get-DockerCall $T)[-1] | Should -Be @('image', 'inspect', 'runlike_fixture')
    }

    It 'Measure-NetperfLatency -Container runs netperf through docker exec' {
        $port = Get-Random -Minimum 30000 -Maximum 60000
        $server = Start-Process netserver -ArgumentList '-D', '-p', $port, '-L', '127.0.0.1', '-4' -PassThru
        try {
            Start-Sleep -Milliseconds 500
            $run = Measure-NetperfLatency -Container (Get-OnloadContainer c9 -Engine docker) -Port $port -TestName TCP_RR -Duration 1 -Iterations 1 -ErrorVariable e
            $e | Should -BeNullOrEmpty
            @($run).Count | Should -Be 1
            $run.ClientLocation | Should -Be 'container:c9'
            $run.Label | Should -Be 'container'
            $run.MeanLatency | Should -BeGreaterThan 0
            $run.Samples[0].CommandLine | Should -BeLike "docker exec c9 netperf -H 127.0.0.1 -p $port -t TCP_RR -l 1*"
            @((Get-DockerCall $T) | Where-Object { ($_[0..3] -join ' ') -eq 'exec c9 netperf -V' }).Count | Should -BeGreaterThan 0

            # A deserialized container (Invoke-Command, Import-Clixml) is a property bag: its Name and Engine are used.
            $bag = Measure-NetperfLatency -Container ([pscustomobject]@{ Name = 'c10'; Engine = 'docker' }) -Port $port -TestName UDP_RR -Duration 1 -Iterations 1
            $bag.ClientLocation | Should -Be 'container:c10'
            @((Get-DockerCall $T) | Where-Object { ($_[0..2] -join ' ') -eq 'exec c10 netperf' }).Count | Should -BeGreaterThan 0
            $err = { Measure-NetperfLatency -Container ([pscustomobject]@{ Size = 1 }) -Duration 1 -ErrorAction Stop } | Should -Throw -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'   # parameter binding refuses it
        }
        finally { Stop-Process -Id $server.Id -Force -ErrorAction SilentlyContinue }
    }

    It 'refuses an interface the host lacks, and an image command that is not netserver, before running' {
        $err = { Start-OnloadContainer $Tag c12 -InterfaceName p9p9 -Engine docker -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InterfaceNotFound,*'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        (Get-DockerCall $T).Count | Should -Be 0
        { Start-OnloadContainer $Tag c12 -Port 2000 -Engine docker -Command sleep, infinity -ErrorAction Stop } | Should -Throw -ErrorId 'ImageCommandNotNetserver,*'
        (Get-DockerCall $T) | Where-Object { $_[0] -eq 'run' } | Should -BeNullOrEmpty
        $null = Start-OnloadContainer $Tag c12 -Port 2000 -Engine docker -Command netserver, -D
        (Get-DockerCall $T)[-2][-5..-1] | Should -Be @($Tag, 'netserver', '-D', '-p', '2000')
    }

    It 'uses docker when it is the only engine, and -WhatIf starts nothing' {
        # A PATH without podman: the double's shell utilities only.
        $tools = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-tools-$([guid]::NewGuid().ToString('N'))")).FullName
        $saved = $env:PATH
        try {
            foreach ($tool in 'bash', 'dirname', 'mkdir', 'cat', 'sed', 'cp', 'ls', 'grep', 'head') {
                $target = if (Test-Path "/usr/bin/$tool") { "/usr/bin/$tool" } else { "/bin/$tool" }
                New-Item -ItemType SymbolicLink -Path "$tools/$tool" -Target $target | Out-Null
            }
            $env:PATH = "$Fixtures/bin-docker:$Fixtures/containers/host-bin:$tools"
            $out = Start-OnloadContainer $Tag c11 -WhatIf -ErrorVariable e
            $e | Should -BeNullOrEmpty
            $out | Should -BeNullOrEmpty
            $calls = Get-DockerCall $T
            $calls.Count | Should -Be 1
            $calls[0] | Should -Be @('image', 'inspect', $Tag)
        }
        finally { $env:PATH = $saved; Remove-Item -Recurse -Force $tools }
    }

    It 'completes interface names from the host and container names from the engine' {
        New-Item -ItemType Directory -Path "$($T.Root)/sys/class/net/p1p3" | Out-Null
        $line = 'Start-OnloadContainer -Image x -InterfaceName p1'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('p1p3')
        $line = 'Stop-OnloadContainer -Engine docker -Name 44'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('44dd5a2ed8a61326b11cce47270e7d3da17c1f987f92a9fab4d6e9dbba33d643')
        (Get-DockerCall $T)[-1] | Should -Be @('ps', '--all', '--format', '{{.Names}}')
    }

    It 'refuses <Script> before anything runs' -ForEach @(
        @{ Script = { New-OnloadImage -Tag 'Onload/Netperf:1' -BaseImage ubi9 -Engine docker }; Id = 'InvalidImageTag' }
        @{ Script = { New-OnloadImage -Tag 'onload:bad tag' -BaseImage ubi9 -Engine docker }; Id = 'InvalidImageTag' }
        @{ Script = { New-OnloadImage -Tag onload:1 -BaseImage 'UBI 9' -Engine docker }; Id = 'InvalidImageName' }
        @{ Script = { Start-OnloadContainer -Image onload:1 -Name 'bad name' -Engine docker }; Id = 'InvalidContainerName' }
        @{ Script = { Start-OnloadContainer -Image onload:1 -Name x -Engine docker }; Id = 'InvalidContainerName' }   # docker needs 2+
        @{ Script = { Start-OnloadContainer -Image 'Onload:1' -Engine docker }; Id = 'InvalidImageName' }
        @{ Script = { Stop-OnloadContainer '-rf' -Engine docker }; Id = 'InvalidContainerName' }
        @{ Script = { Get-OnloadContainer 'a/b' -Engine docker }; Id = 'InvalidContainerName' }
        @{ Script = { Get-OnloadImage 'UPPER' -Engine docker }; Id = 'InvalidImageName' }
    ) {
        $err = $null
        $ErrorActionPreference = 'Stop'   # non-terminating refusals too
        try { & $Script } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        (Get-DockerCall $T).Count | Should -Be 0
    }

    It 'reports unknown objects and a stopped docker daemon with docker''s words' {
        $found = Get-OnloadImage nosuch:1, $Tag -Engine docker -NoPackageQuery -ErrorVariable e -ErrorAction SilentlyContinue
        @($found).Count | Should -Be 1   # the other image still comes out
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -BeLike 'ImageNotFound,*'
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $e[0].Exception.Message | Should -Match 'No such image: nosuch:1'
        { Stop-OnloadContainer nosuch1 -Engine docker -ErrorAction Stop } | Should -Throw -ErrorId 'ContainerNotFound,*'

        $env:ONLOADTOOLS_DOUBLE_DOCKERD = 'down'
        $err = $null
        try { Get-OnloadImage -Engine docker } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'ContainerEngineUnavailable,*'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.Message | Should -Match 'Cannot connect to the Docker daemon'
    }
}

Describe 'Without podman or docker' {
    BeforeAll {
        $script:Empty = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-nopath-$([guid]::NewGuid().ToString('N'))")).FullName
        $script:T = New-TestEnvironment -OnlyPath $Empty
    }
    AfterAll { Remove-TestEnvironment $script:T; Remove-Item -Recurse -Force $Empty }

    It 'says what to install' {
        $err = $null
        try { Get-OnloadImage } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'ContainerEngineNotInstalled,OnloadTools.Commands.GetOnloadImageCommand'
        $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        $err.Exception.Message | Should -Match 'dnf install podman'
        { Get-OnloadContainer -Engine docker -ErrorAction Stop } | Should -Throw -ErrorId 'DockerNotInstalled,*'
        $err = { Measure-NetperfLatency -Container c1 -Duration 1 -Iterations 1 -ErrorAction Stop } | Should -Throw -ErrorId 'PodmanNotInstalled,*' -PassThru
        $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        # Bad names are still refused as bad names, not as a missing engine: validation comes first.
        { Start-OnloadContainer -Image onload:1 -Name 'no way' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidContainerName,*'
    }
}

Describe 'Real podman' -Tag Podman {
    BeforeAll {
        $script:T = New-TestEnvironment
        $script:Base = 'localhost/onloadtools-test-base'
        $script:BuiltBase = Initialize-TestBaseImage $Base
        $script:Suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:ImageTag = "localhost/onloadtools-test-img:$Suffix"
        $script:Name = "onloadtools-test-$Suffix"
        $script:Port = Get-Random -Minimum 30000 -Maximum 60000
        $script:Work = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-podman-$Suffix")).FullName
    }
    AfterAll {
        podman rm --force --time 0 $Name 2>$null | Out-Null
        podman rmi --force $ImageTag 2>$null | Out-Null
        if ($BuiltBase -and $env:ONLOADTOOLS_TEST_KEEP_BASE -ne '1') { podman rmi --force $Base | Out-Null }
        Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
        Remove-TestEnvironment $script:T
    }

    It 'builds the image with netperf and the Onload package' {
        $deb = New-OnloadTestDeb $Work
        $df = Join-Path $Work 'Dockerfile'
        $r = Invoke-WithStreams 'New-OnloadImage -Tag $tag -BaseImage $base -OnloadPackage $deb -DockerfilePath $df' @{ tag = $ImageTag; base = $Base; deb = $deb; df = $df }
        $r.Errors | Should -BeNullOrEmpty
        $r.Output.Count | Should -Be 1
        $script:Image = $r.Output[0]
        $Image | Should -BeOfType OnloadTools.OnloadImage
        $Image.Engine | Should -Be 'podman'
        $Image.Name | Should -Be $ImageTag
        $Image.OnloadVersion | Should -Be '8.1.2.26'
        $Image.Packages | Should -Contain 'onload 8.1.2.26-1'
        @($Image.Packages | Where-Object { $_ -like 'netperf 2.7*' }).Count | Should -Be 1
        $Image.OnloadVersionMatchesHost | Should -BeTrue
        $Image.Dockerfile | Should -BeExactly (Get-Content -Raw $df)
        $Image.Created | Should -BeGreaterThan ([datetime]::UtcNow.AddMinutes(-10))
        @($r.Progress | Where-Object { $_.StatusDescription -like '*step *' -and $_.StatusDescription -like '* of *' }).Count | Should -BeGreaterThan 0
        # The RUN label is what `podman container runlabel RUN` runs.
        (podman container runlabel --display --name $Name RUN $ImageTag) -join ' ' |
            Should -Match ([regex]::Escape("podman run -d --name $Name --net=host --init --device=/dev/onload --device=/dev/onload_epoll --device=/dev/onload_cplane $ImageTag"))
    }

    It 'is inspected like atomic info, and is among the Onload images' {
        $got = @(Get-OnloadImage $ImageTag)
        $got.Count | Should -Be 1
        $got[0].Id | Should -Be $Image.Id
        $got[0].Labels | Should -Contain "org.opencontainers.image.base.name=$Base"
        $got[0].Command | Should -Be 'onload --profile=latency netserver -D'
        $got[0].PackageQueryCommandLine | Should -BeLike 'podman run --rm --network=none --entrypoint dpkg-query*'
        (Get-OnloadImage -NoPackageQuery).Id | Should -Contain $Image.Id
    }

    It 'is not started on a host with another Onload' {
        $env:ONLOADTOOLS_DOUBLE_ONLOAD_VERSION = '9.0.1.3'
        try { { Start-OnloadContainer $ImageTag $Name -ErrorAction Stop } | Should -Throw -ErrorId 'OnloadVersionMismatch,*' }
        finally { $env:ONLOADTOOLS_DOUBLE_ONLOAD_VERSION = $null }
        podman container exists $Name
        $LASTEXITCODE | Should -Not -Be 0
    }

    It 'starts it with the devices and host network, netserver on lo, read-only' {
        $c = $Image | Start-OnloadContainer -Name $Name -InterfaceName lo -Port $Port -ReadOnly -ErrorVariable e
        $e | Should -BeNullOrEmpty
        @($c).Count | Should -Be 1
        $c.Name | Should -Be $Name
        $c.Running | Should -BeTrue
        $c.NetworkMode | Should -Be 'host'
        $c.ReadOnly | Should -BeTrue
        $c.Privileged | Should -BeFalse
        $c.Devices | Should -Be @('/dev/onload', '/dev/onload_epoll', '/dev/onload_cplane')
        $c.Command | Should -BeLike "*netserver -D -p $Port -L 127.0.0.1"
        $c.CommandLine | Should -BeLike "podman run --detach --name $Name --net=host --init --device=*"
        Wait-TcpListener -Port $Port -Seconds 15 | Should -BeTrue
        podman exec $Name touch /etc/onloadtools-write-test 2>$null
        $LASTEXITCODE | Should -Not -Be 0   # read-only root
        podman exec $Name touch /tmp/ok /run/ok
        $LASTEXITCODE | Should -Be 0
        podman exec $Name test -c /dev/onload_epoll
        $LASTEXITCODE | Should -Be 0
    }

    It 'is measured from the host and from inside' {
        $fromHost = Measure-NetperfLatency -ComputerName 127.0.0.1 -Port $Port -Duration 1 -Iterations 2 -ErrorVariable e
        $e | Should -BeNullOrEmpty
        $fromHost.TestName | Should -Be @('TCP_RR', 'UDP_RR')
        $fromHost | ForEach-Object { $_.IterationsCompleted | Should -Be 2; $_.MeanLatency | Should -BeGreaterThan 0; $_.ClientLocation | Should -Be 'host' }
        $inside = @(Get-OnloadContainer $Name | ForEach-Object { Measure-NetperfLatency -Container $_ -Port $Port -TestName TCP_RR -Duration 1 -Iterations 1 -Onload -ErrorVariable +e })
        $e | Should -BeNullOrEmpty
        $inside.Count | Should -Be 1
        $inside[0].ClientLocation | Should -Be "container:$Name"
        $inside[0].Label | Should -Be 'container'
        $inside[0].OnloadVersion | Should -Be '8.1.2.26'   # `onload --version` ran in the container
        $inside[0].MeanLatency | Should -BeGreaterThan 0
        $inside[0].Samples[0].CommandLine | Should -BeLike "podman exec $Name onload --profile=latency netperf -H 127.0.0.1 -p $Port -t TCP_RR -l 1*"
        (Get-OnloadContainer -Running).Name | Should -Contain $Name
    }

    It 'runs two containers with netserver on one port, each on its own interface' {
        # The guide's layout: two partitioned functions of one port. The second "PF" is one end of a veth pair with a
        # TEST-NET address, created for the test and deleted after it (this kernel has no dummy links).
        $suffix = $Suffix.Substring(0, 6)
        $link = "otpf$suffix"
        $address = '192.0.2.77'
        $names = "onloadtools-test-pf0-$Suffix", "onloadtools-test-pf1-$Suffix"
        $port = Get-Random -Minimum 30000 -Maximum 60000
        New-Item -ItemType Directory -Path "$($T.Root)/sys/class/net/$link" | Out-Null
        try {
            ip link add $link type veth peer name "${link}p"; $LASTEXITCODE | Should -Be 0
            ip addr add "$address/32" dev $link; $LASTEXITCODE | Should -Be 0
            ip link set "${link}p" up; $LASTEXITCODE | Should -Be 0
            ip link set $link up; $LASTEXITCODE | Should -Be 0
            $containers = @(
                Start-OnloadContainer $ImageTag $names[0] -InterfaceName lo -Port $port -ErrorVariable e
                Start-OnloadContainer $ImageTag $names[1] -InterfaceName $link -Port $port -ErrorVariable +e)
            $e | Should -BeNullOrEmpty
            $containers.Count | Should -Be 2
            $containers[0].Command | Should -BeLike "*-p $port -L 127.0.0.1"
            $containers[1].Command | Should -BeLike "*-p $port -L $address"
            $null = Wait-TcpListener -Port $port -Seconds 15
            Start-Sleep -Milliseconds 500
            foreach ($c in $containers) { (Get-OnloadContainer $c.Name).Running | Should -BeTrue -Because "both netservers must bind the same port on different addresses ($($c.Name))" }
            $measured = '127.0.0.1', $address | Measure-NetperfLatency -Port $port -TestName TCP_RR -Duration 1 -Iterations 1 -ErrorVariable e
            $e | Should -BeNullOrEmpty
            $measured.ComputerName | Should -Be @('127.0.0.1', $address)
            Get-OnloadContainer "onloadtools-test-pf?-$Suffix" | Stop-OnloadContainer -Remove -Timeout 1 -ErrorVariable e
            $e | Should -BeNullOrEmpty
            foreach ($n in $names) { podman container exists $n; $LASTEXITCODE | Should -Not -Be 0 }
        }
        finally {
            foreach ($n in $names) { podman rm --force --time 0 $n 2>$null | Out-Null }
            ip link del $link 2>$null   # deletes the peer too
        }
    }

    It 'is stopped promptly and removed through the pipeline' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Get-OnloadContainer $Name | Stop-OnloadContainer -Remove -ErrorVariable e
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 8 -Because '--init makes stop prompt'
        $e | Should -BeNullOrEmpty
        podman container exists $Name
        $LASTEXITCODE | Should -Not -Be 0
        Wait-TcpListener -Port $Port -Seconds 1 | Should -BeFalse
        { Get-OnloadContainer $Name -ErrorAction Stop } | Should -Throw -ErrorId 'ContainerNotFound,*'
        podman rmi --force $ImageTag | Out-Null
        podman image exists $ImageTag
        $LASTEXITCODE | Should -Not -Be 0
    }
}

Describe 'Real dockerd' -Tag Docker {
    # A private Docker engine on its own socket (no iptables, no bridge), as the xunit DockerEngineTests start it;
    # the base image comes from podman (podman save | docker load), so no registry is needed. Needs root.
    BeforeAll {
        $script:T = New-TestEnvironment
        $script:Base = 'localhost/onloadtools-test-base'
        $script:Sock = '/run/onloadtools-test-docker-pester.sock'
        $script:DataRoot = '/var/lib/onloadtools-test-docker-pester'
        $script:ExecRoot = '/run/onloadtools-test-docker-pester'
        $script:SavedDockerHost = $env:DOCKER_HOST
        $script:BuiltBase = Initialize-TestBaseImage $Base
        $script:Daemon = Start-Process -FilePath dockerd -PassThru -RedirectStandardError ([IO.Path]::GetTempPath() + 'onloadtools-pester-dockerd.log') -ArgumentList @(
            '--iptables=false', '--ip6tables=false', '--bridge=none', "--host=unix://$Sock", "--data-root=$DataRoot",
            "--exec-root=$ExecRoot", "--pidfile=$ExecRoot.pid")
        $env:DOCKER_HOST = "unix://$Sock"
        $deadline = (Get-Date).AddSeconds(60)
        do { Start-Sleep -Milliseconds 250; docker info --format '{{.ServerVersion}}' 2>$null | Out-Null } until ($LASTEXITCODE -eq 0 -or (Get-Date) -gt $deadline)
        $tar = Join-Path ([IO.Path]::GetTempPath()) "onloadtools-docker-base-$([guid]::NewGuid().ToString('N')).tar"
        podman save --format docker-archive --output $tar $Base | Out-Null
        docker load --input $tar | Out-Null
        Remove-Item $tar
        $script:Suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:ImageTag = "localhost/onloadtools-test-img:docker-$Suffix"
        $script:Name = "onloadtools-test-docker-$Suffix"
        $script:Port = Get-Random -Minimum 30000 -Maximum 60000
        $script:Work = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-docker-$Suffix")).FullName
    }
    AfterAll {
        docker rm --force $Name 2>$null | Out-Null
        kill -TERM $Daemon.Id
        $Daemon.WaitForExit(20000) | Out-Null
        Get-Content /proc/mounts | ForEach-Object { ($_ -split ' ')[1] } | Where-Object { $_ -like "$ExecRoot/*" -or $_ -like "$DataRoot/*" } |
            Sort-Object Length -Descending | ForEach-Object { umount $_ }
        rm -rf --one-file-system $DataRoot $ExecRoot
        $env:DOCKER_HOST = $SavedDockerHost
        if ($BuiltBase -and $env:ONLOADTOOLS_TEST_KEEP_BASE -ne '1') { podman rmi --force $Base | Out-Null }
        Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
        Remove-TestEnvironment $script:T
    }

    It 'builds the image with docker build' {
        $deb = New-OnloadTestDeb $Work
        $script:Image = New-OnloadImage -Engine docker -Tag $ImageTag -BaseImage $Base -OnloadPackage $deb
        $Image.Engine | Should -Be 'docker'
        $Image.OnloadVersion | Should -Be '8.1.2.26'
        $Image.OnloadVersionMatchesHost | Should -BeTrue
        $Image.Packages | Should -Contain 'onload 8.1.2.26-1'
        @($Image.Packages | Where-Object { $_ -like 'netperf 2.7*' }).Count | Should -Be 1
        docker image inspect $ImageTag | Out-Null
        $LASTEXITCODE | Should -Be 0
        # Get-OnloadImage reads docker's inspect JSON and queries the packages inside.
        $got = @(Get-OnloadImage $ImageTag -Engine docker -ErrorVariable e)
        $e | Should -BeNullOrEmpty
        $got.Count | Should -Be 1
        $got[0].Id | Should -Be $Image.Id
        $got[0].Command | Should -Be 'onload --profile=latency netserver -D'
        $got[0].Labels | Should -Contain 'org.openonload.version=8.1.2.26'
        $got[0].Packages | Should -Contain 'onload 8.1.2.26-1'
    }

    It 'starts it with the devices and host network, netserver on lo' {
        $c = $Image | Start-OnloadContainer -Name $Name -InterfaceName lo -Port $Port -ReadOnly -ErrorVariable e
        $e | Should -BeNullOrEmpty
        $c.Engine | Should -Be 'docker'
        $c.Name | Should -Be $Name
        $c.Running | Should -BeTrue
        $c.NetworkMode | Should -Be 'host'
        $c.ReadOnly | Should -BeTrue
        $c.Devices | Should -Be @('/dev/onload', '/dev/onload_epoll', '/dev/onload_cplane')
        $c.CommandLine | Should -BeLike "docker run --detach --name $Name --net=host --init --device=*"
        Wait-TcpListener -Port $Port -Seconds 15 | Should -BeTrue
        docker exec $Name touch /etc/onloadtools-write-test 2>$null
        $LASTEXITCODE | Should -Not -Be 0
        docker exec $Name test -c /dev/onload
        $LASTEXITCODE | Should -Be 0
    }

    It 'is measured from the host and from inside with docker exec' {
        $fromHost = Measure-NetperfLatency -ComputerName 127.0.0.1 -Port $Port -TestName TCP_RR -Duration 1 -Iterations 2 -ErrorVariable e
        $e | Should -BeNullOrEmpty
        $fromHost.IterationsCompleted | Should -Be 2
        $fromHost.MeanLatency | Should -BeGreaterThan 0
        $inside = @(Get-OnloadContainer $Name -Engine docker | ForEach-Object { Measure-NetperfLatency -Container $_ -Port $Port -TestName UDP_RR -Duration 1 -Iterations 1 -Onload -ErrorVariable +e })
        $e | Should -BeNullOrEmpty
        $inside.Count | Should -Be 1
        $inside[0].ClientLocation | Should -Be "container:$Name"
        $inside[0].OnloadVersion | Should -Be '8.1.2.26'
        $inside[0].MeanLatency | Should -BeGreaterThan 0
        $inside[0].Samples[0].CommandLine | Should -BeLike "docker exec $Name onload --profile=latency netperf -H 127.0.0.1 -p $Port -t UDP_RR -l 1*"
        (Get-OnloadContainer -Engine docker -Running).Name | Should -Contain $Name
    }

    It 'is stopped and removed, and the image with it' {
        Get-OnloadContainer $Name -Engine docker | Stop-OnloadContainer -Remove -Timeout 2 -ErrorVariable e
        $e | Should -BeNullOrEmpty
        Wait-TcpListener -Port $Port -Seconds 1 | Should -BeFalse
        docker container inspect $Name 2>$null | Out-Null
        $LASTEXITCODE | Should -Not -Be 0
        docker rmi --force $ImageTag | Out-Null
        docker image inspect $ImageTag 2>$null | Out-Null
        $LASTEXITCODE | Should -Not -Be 0
    }
}
