@{
    RootModule           = 'OnloadTools.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0c6f3e-7d2a-4c41-9a55-2f1e8a7c9d10'
    Author               = 'OnloadTools contributors'
    CompanyName          = 'OnloadTools'
    Copyright            = '(c) OnloadTools contributors. MIT License.'
    Description          = 'Low-latency container workflow on RHEL from PowerShell: host tuning, Solarflare adapters and OpenOnload, Onload-accelerated containers, and netperf/sockperf latency measurements as typed, comparable objects.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')

    FormatsToProcess     = @(
        'OnloadTools.Latency.Format.ps1xml'
        'OnloadTools.Tuning.Format.ps1xml'
        'OnloadTools.Readiness.Format.ps1xml'
        'OnloadTools.Solarflare.Format.ps1xml'
        'OnloadTools.Containers.Format.ps1xml'
        'OnloadTools.Jitter.Format.ps1xml'
    )
    TypesToProcess       = @('OnloadTools.Types.ps1xml')

    CmdletsToExport      = @(
        # Latency
        'Measure-NetperfLatency'
        'Measure-SockperfLatency'
        'Compare-LatencyRun'
        'Export-LatencyRun'
        'Import-LatencyRun'
        'Export-LatencyReport'
        'Select-LatencyBaseline'
        'Invoke-LatencyComparison'
        # Tuning
        'Get-TunedProfile'
        'Invoke-TunedProfile'
        'Test-TunedProfile'
        'Get-KernelBootArgument'
        'Set-KernelBootArgument'
        'Get-NicCpuAffinity'
        'Test-OnloadHost'
        'Measure-HostJitter'
        'Import-HostJitterRun'
        'Compare-HostJitterRun'
        # Solarflare and Onload
        'Get-SfcAdapter'
        'Set-SfcPartitioning'
        'Update-SfcFirmware'
        'Get-SfcInterface'
        'Get-OnloadInfo'
        'New-OnloadPackage'
        # Containers
        'New-OnloadImage'
        'Get-OnloadImage'
        'Start-OnloadContainer'
        'Get-OnloadContainer'
        'Stop-OnloadContainer'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()

    PrivateData          = @{
        PSData = @{
            Tags         = @('Onload', 'OpenOnload', 'Solarflare', 'netperf', 'sockperf', 'latency', 'tuned', 'podman', 'RHEL', 'Linux')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'See README.md.'
        }
    }
}
