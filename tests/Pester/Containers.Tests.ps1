# Pester 5 tests of the container cmdlets: the docker CLI's arguments through the recording double
# (tests/fixtures/bin-docker), bad names refused before anything runs, no engine, and (tags Podman, Docker) the real
# podman workflow against a debootstrapped base image and the same on a private dockerd. Both real blocks need root;
# exclude them with `Invoke-Pester -ExcludeTagFilter Podman,Docker`. Mirrors tests/OnloadTools.Tests/Containers.

BeforeAll {
    Import-Module "$PSScriptRoot/../../out/OnloadTools/0.1.0/OnloadTools.psd1" -Force
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
}

Describe 'Container cmdlets with the docker CLI (recording double)' {
    BeforeEach { $script:T = New-TestEnvironment -Docker }
    AfterEach { Remove-TestEnvironment $script:T }

    It 'New-OnloadImage builds the generated Dockerfile and reports the image' {
        $work = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-img-$([guid]::NewGuid().ToString('N'))")).FullName
        try {
            $deb = New-OnloadTestDeb $work
            $df = Join-Path $work 'kept/Dockerfile'
            $image = New-OnloadImage -Tag $Tag -BaseImage localhost/onloadtools-test-base -OnloadPackage (Get-Item $deb) -Engine docker -DockerfilePath $df
            $calls = Get-DockerCall $T
            $calls[0][0..4] | Should -Be @('build', '--tag', $Tag, '--file', $df)
            Test-Path $calls[0][5] | Should -BeFalse
            $calls[1] | Should -Be @('image', 'inspect', $Tag)
            $calls[3][4] | Should -Be 'dpkg-query'
            $built = Get-Content -Raw (Join-Path $T.State 'Dockerfile.built')
            $built | Should -Be (Get-Content -Raw $df)
            $built | Should -Match 'org\.openonload\.version="8\.1\.2\.26"'
            $built | Should -Match ([regex]::Escape('RUN="podman run -d --name NAME --net=host --init --device=/dev/onload --device=/dev/onload_epoll --device=/dev/onload_cplane IMAGE"'))
            $built | Should -Match ([regex]::Escape('CMD ["onload", "--profile=latency", "netserver", "-D"]'))
            $image.Packages | Should -Be @('netperf 2.7.0-0.1', 'onload 8.1.2.26-1')
            $image.OnloadVersionMatchesHost | Should -BeTrue
        }
        finally { Remove-Item -Recurse -Force $work }
    }

    It 'New-OnloadImage -WhatIf returns the Dockerfile and build command and runs nothing' {
        $work = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-img-$([guid]::NewGuid().ToString('N'))")).FullName
        try {
            $deb = New-OnloadTestDeb $work '8.2.0.5'
            $plan = [pscustomobject]@{ Path = $deb } | New-OnloadImage -Tag $Tag -BaseImage ubi9 -Engine docker -Command netserver, -D -WhatIf
            $plan.GetType().FullName | Should -Be 'OnloadTools.OnloadImageBuildPlan'
            $plan.OnloadVersion | Should -Be '8.2.0.5'
            $plan.BuildCommandLine | Should -BeLike "docker build --tag $Tag --file *"
            $plan.Dockerfile | Should -Match ([regex]::Escape('CMD ["netserver", "-D"]'))
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

    It 'Start-OnloadContainer passes the host devices, --net=host, --init and netserver options' {
        $c = Start-OnloadContainer -Image $Tag -Name c1 -Engine docker -ReadOnly -InterfaceName lo -Port 23865
        $r = $T.Root
        (Get-DockerCall $T)[1] | Should -Be @('run', '--detach', '--name', 'c1', '--net=host', '--init',
            "--device=$r/dev/onload:/dev/onload", "--device=$r/dev/onload_epoll:/dev/onload_epoll", "--device=$r/dev/onload_cplane:/dev/onload_cplane",
            '--read-only', '--tmpfs', '/tmp', '--tmpfs', '/run', $Tag,
            'onload', '--profile=latency', 'netserver', '-D', '-p', '23865', '-L', '127.0.0.1')
        $c.Name | Should -Be 'c1'
        $c.CommandLine | Should -BeLike 'docker run --detach --name c1 --net=host --init *'
    }

    It '-Privileged is passed only when asked, with a warning' {
        $null = Start-OnloadContainer $Tag c2 -Engine docker -Privileged -WarningVariable w -WarningAction SilentlyContinue
        (Get-DockerCall $T)[1] | Should -Contain '--privileged'
        ($w -join ' ') | Should -Match 'SELinux'
    }

    It 'refuses differing Onload versions unless -Force' {
        $env:ONLOADTOOLS_DOUBLE_ONLOAD_VERSION = '9.0.1.3'
        $out = Start-OnloadContainer $Tag c3 -Engine docker -ErrorVariable e -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $e[0].FullyQualifiedErrorId | Should -BeLike 'OnloadVersionMismatch,*'
        ((Get-DockerCall $T) | Where-Object { $_[0] -eq 'run' }) | Should -BeNullOrEmpty
        $null = Start-OnloadContainer $Tag c3 -Engine docker -Force -WarningAction SilentlyContinue
        ((Get-DockerCall $T) | Where-Object { $_[0] -eq 'run' }) | Should -Not -BeNullOrEmpty
    }

    It 'Get and Stop work in a pipeline with the engine of the objects' {
        Get-OnloadContainer c4 -Engine docker | Stop-OnloadContainer -Remove -Timeout 2
        $calls = Get-DockerCall $T
        $calls[-2] | Should -Be @('stop', '-t', '2', 'c4')
        $calls[-1] | Should -Be @('rm', 'c4')
    }

    It 'accepts deserialized objects (property bags) with their engine' {
        [pscustomobject]@{ PSTypeName = 'Deserialized.OnloadTools.OnloadContainer'; Name = 'c14'; Engine = 'docker' } | Stop-OnloadContainer
        (Get-DockerCall $T)[-1] | Should -Be @('stop', '-t', '10', 'c14')
    }

    It 'Measure-NetperfLatency -Container runs netperf through docker exec' {
        $port = Get-Random -Minimum 30000 -Maximum 60000
        $server = Start-Process netserver -ArgumentList '-D', '-p', $port, '-L', '127.0.0.1', '-4' -PassThru
        try {
            Start-Sleep -Milliseconds 500
            $run = Measure-NetperfLatency -Container (Get-OnloadContainer c9 -Engine docker) -Port $port -TestName TCP_RR -Duration 1 -Iterations 1
            $run.ClientLocation | Should -Be 'container:c9'
            $run.Label | Should -Be 'container'
            $run.Samples[0].CommandLine | Should -BeLike "docker exec c9 netperf -H 127.0.0.1 -p $port *"
        }
        finally { Stop-Process -Id $server.Id -Force -ErrorAction SilentlyContinue }
    }

    It 'refuses <Script> before anything runs' -ForEach @(
        @{ Script = { New-OnloadImage -Tag 'Onload/Netperf:1' -BaseImage ubi9 -Engine docker }; Id = 'InvalidImageTag' }
        @{ Script = { Start-OnloadContainer -Image onload:1 -Name 'bad name' -Engine docker }; Id = 'InvalidContainerName' }
        @{ Script = { Start-OnloadContainer -Image 'Onload:1' -Engine docker }; Id = 'InvalidImageName' }
        @{ Script = { Stop-OnloadContainer '-rf' -Engine docker }; Id = 'InvalidContainerName' }
    ) {
        $err = $null
        try { & $Script } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        (Get-DockerCall $T).Count | Should -Be 0
    }

    It 'reports a stopped docker daemon as ResourceUnavailable' {
        $env:ONLOADTOOLS_DOUBLE_DOCKERD = 'down'
        $err = $null
        try { Get-OnloadImage -Engine docker } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'ContainerEngineUnavailable,*'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
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
        $err.FullyQualifiedErrorId | Should -BeLike 'ContainerEngineNotInstalled,*'
        $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        $err.Exception.Message | Should -Match 'dnf install podman'
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
        $script:Image = New-OnloadImage -Tag $ImageTag -BaseImage $Base -OnloadPackage $deb
        $Image.Engine | Should -Be 'podman'
        $Image.OnloadVersion | Should -Be '8.1.2.26'
        $Image.Packages | Should -Contain 'onload 8.1.2.26-1'
        $Image.OnloadVersionMatchesHost | Should -BeTrue
        (podman container runlabel --display --name $Name RUN $ImageTag) -join ' ' |
            Should -Match ([regex]::Escape("--net=host --init --device=/dev/onload"))
    }

    It 'starts it with the devices and host network, netserver on lo' {
        $c = $Image | Start-OnloadContainer -Name $Name -InterfaceName lo -Port $Port -ReadOnly
        $c.Running | Should -BeTrue
        $c.NetworkMode | Should -Be 'host'
        $c.Devices | Should -Be @('/dev/onload', '/dev/onload_epoll', '/dev/onload_cplane')
        Wait-TcpListener -Port $Port -Seconds 15 | Should -BeTrue
    }

    It 'is measured from the host and from inside' {
        $fromHost = Measure-NetperfLatency -ComputerName 127.0.0.1 -Port $Port -Duration 1 -Iterations 2
        $fromHost.TestName | Should -Be @('TCP_RR', 'UDP_RR')
        $fromHost | ForEach-Object { $_.IterationsCompleted | Should -Be 2 }
        $inside = Get-OnloadContainer $Name | ForEach-Object { Measure-NetperfLatency -Container $_ -Port $Port -TestName TCP_RR -Duration 1 -Iterations 1 -Onload }
        $inside.ClientLocation | Should -Be "container:$Name"
        $inside.OnloadVersion | Should -Be '8.1.2.26'
    }

    It 'is inspected, stopped and removed' {
        (Get-OnloadImage $ImageTag).Id | Should -Be $Image.Id
        Get-OnloadContainer $Name | Stop-OnloadContainer -Remove
        podman container exists $Name
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
        $Image.Packages | Should -Contain 'onload 8.1.2.26-1'
        (Get-OnloadImage $ImageTag -Engine docker).Command | Should -Be 'onload --profile=latency netserver -D'
    }

    It 'starts it with the devices and host network, netserver on lo' {
        $c = $Image | Start-OnloadContainer -Name $Name -InterfaceName lo -Port $Port -ReadOnly
        $c.Engine | Should -Be 'docker'
        $c.Running | Should -BeTrue
        $c.NetworkMode | Should -Be 'host'
        $c.Devices | Should -Be @('/dev/onload', '/dev/onload_epoll', '/dev/onload_cplane')
        Wait-TcpListener -Port $Port -Seconds 15 | Should -BeTrue
    }

    It 'is measured from the host and from inside with docker exec' {
        (Measure-NetperfLatency -ComputerName 127.0.0.1 -Port $Port -TestName TCP_RR -Duration 1 -Iterations 2).IterationsCompleted | Should -Be 2
        $inside = Get-OnloadContainer $Name -Engine docker | ForEach-Object { Measure-NetperfLatency -Container $_ -Port $Port -TestName UDP_RR -Duration 1 -Iterations 1 -Onload }
        $inside.ClientLocation | Should -Be "container:$Name"
        $inside.Samples[0].CommandLine | Should -BeLike "docker exec $Name onload --profile=latency netperf *"
    }

    It 'is stopped and removed, and the image with it' {
        Get-OnloadContainer $Name -Engine docker | Stop-OnloadContainer -Remove -Timeout 2
        docker container inspect $Name 2>$null | Out-Null
        $LASTEXITCODE | Should -Not -Be 0
        docker rmi --force $ImageTag | Out-Null
        docker image inspect $ImageTag 2>$null | Out-Null
        $LASTEXITCODE | Should -Not -Be 0
    }
}
