# Helpers of the real-engine Pester blocks (Containers.Tests.ps1, Comparison.Tests.ps1): dot-source it inside a
# BeforeAll that has set $Fixtures (the tests/fixtures folder).

function New-OnloadTestDeb([string] $Directory, [string] $Version = '8.1.2.26') {
    $root = Join-Path $Directory 'pkgroot'
    New-Item -ItemType Directory -Path "$root/DEBIAN", "$root/usr/bin" -Force | Out-Null
    Set-Content -Path "$root/DEBIAN/control" -Value "Package: onload`nVersion: $Version-1`nArchitecture: all`nMaintainer: OnloadTools tests <tests@example.invalid>`nDescription: test double of OpenOnload's onload wrapper`n" -NoNewline
    (Get-Content -Raw "$Fixtures/containers/host-bin/onload").Replace('${ONLOADTOOLS_DOUBLE_ONLOAD_VERSION:-8.1.2.26}', "`${ONLOADTOOLS_DOUBLE_ONLOAD_VERSION:-$Version}") |
        Set-Content -Path "$root/usr/bin/onload" -NoNewline
    chmod 755 "$root/usr/bin/onload"
    $deb = Join-Path $Directory 'onload-test-double.deb'
    dpkg-deb --root-owner-group --build $root $deb | Out-Null
    $deb
}

# The podman base image of the real-engine blocks (debootstrap, no registry). True when this call built it.
function Initialize-TestBaseImage([string] $Base) {
    podman image exists $Base
    if ($LASTEXITCODE -eq 0) { return $false }
    $dir = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-debootstrap-$([guid]::NewGuid().ToString('N'))")).FullName
    $mirror = (Select-String -Path /etc/apt/sources.list.d/debian.sources -Pattern '^URIs:\s*(\S+)' | Select-Object -First 1).Matches[0].Groups[1].Value
    debootstrap --variant=minbase --components=main,non-free --include=netperf bookworm "$dir/root" $mirror | Out-Null
    tar -C "$dir/root" -cf "$dir/base.tar" .
    podman import "$dir/base.tar" $Base | Out-Null
    rm -rf --one-file-system $dir
    $true
}

# True as soon as something accepts TCP connections on 127.0.0.1:$Port, false after $Seconds.
function Wait-TcpListener([int] $Port, [int] $Seconds) {
    $deadline = (Get-Date).AddSeconds($Seconds)
    do {
        Start-Sleep -Milliseconds 200
        $client = [Net.Sockets.TcpClient]::new()
        try { $client.Connect('127.0.0.1', $Port); return $true } catch { } finally { $client.Dispose() }
    } until ((Get-Date) -gt $deadline)
    $false
}
