# How a Pester file starts a fresh pwsh like the one running the tests: the one home of that fact (dot-source this
# file in a BeforeAll). Under the PowerShell .NET tool run as `dotnet pwsh` the process is dotnet running pwsh.dll;
# under a regular pwsh (dnf's, the tarball's, a .NET tool's apphost) the process is pwsh itself.

# The executable and the arguments that come before pwsh's own: FilePath, ArgumentList (a string[], empty for a
# regular pwsh; never unrolled into a string, which made the first character of the path the program to start).
function Get-FreshPwsh {
    $process = [Environment]::ProcessPath
    [string[]] $prefix = @()
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { $prefix = @(Join-Path $PSHOME 'pwsh.dll') }
    [pscustomobject]@{ FilePath = $process; ArgumentList = $prefix }
}

# A ProcessStartInfo that starts a fresh pwsh with $ArgumentList (-NoProfile, -Command …) after the prefix above.
function New-FreshPwshStartInfo([string[]] $ArgumentList) {
    $pwsh = Get-FreshPwsh
    $psi = [System.Diagnostics.ProcessStartInfo]::new($pwsh.FilePath)
    foreach ($a in @($pwsh.ArgumentList) + @($ArgumentList)) { $psi.ArgumentList.Add($a) }
    $psi
}
