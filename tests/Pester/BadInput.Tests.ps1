#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Bad input to every cmdlet, on this machine as it is (no Solarflare tools, no grubby, no such objects): each call ends
# in clear PowerShell errors (a stable ErrorId of the module or the engine's own parameter errors, a real category),
# never an unmapped .NET exception surfacing as a stack trace.

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:Unmapped = @(
        [NullReferenceException], [InvalidCastException], [IndexOutOfRangeException], [System.Collections.Generic.KeyNotFoundException],
        [AggregateException], [FormatException], [ArgumentOutOfRangeException], [InvalidOperationException],
        [System.Text.Json.JsonException], [ObjectDisposedException])
}

Describe 'Bad input' {
    It '<Call> gives clear errors, never an unmapped exception' -ForEach @(
        @{ Call = 'Get-SfcAdapter -InterfaceName no-such-if0' }
        @{ Call = 'Set-SfcPartitioning -InterfaceName no-such-if0 -PfCount 2 -Confirm:$false' }
        @{ Call = 'Set-SfcPartitioning -InterfaceName no-such-if0 -PfCount 99 -Confirm:$false' }
        @{ Call = 'Update-SfcFirmware -InterfaceName no-such-if0 -Confirm:$false' }
        @{ Call = 'Get-SfcInterface -Name no-such-if0' }
        @{ Call = 'New-OnloadPackage -Source /nonexistent/openonload-1.0.tgz -Confirm:$false' }
        @{ Call = 'New-OnloadPackage -Source /etc/hostname -Confirm:$false' }
        @{ Call = 'Get-TunedProfile -Name no-such-profile -Effective' }
        @{ Call = 'Invoke-TunedProfile -Name no-such-profile -Confirm:$false' }
        @{ Call = 'Get-NicCpuAffinity -InterfaceName no-such-if0' }
        @{ Call = "Set-KernelBootArgument -Add 'isolcpus=1' -Confirm:`$false" }
        @{ Call = "Set-KernelBootArgument -Add '' -Confirm:`$false" }
        @{ Call = 'Get-KernelBootArgument -Pending' }
        @{ Call = 'Test-OnloadHost -Engine bogus' }
        @{ Call = 'Get-OnloadImage -Engine bogus' }
        @{ Call = "Export-LatencyReport -InputObject 'not a run' -Path /tmp/onloadtools-bad-input.html -Confirm:`$false" }
        @{ Call = 'Export-LatencyRun -InputObject 42 -Path /tmp/onloadtools-bad-input-history -Confirm:$false' }
        @{ Call = 'Import-LatencyRun -Path /nonexistent/history' }
        @{ Call = 'Import-LatencyRun -Path /etc/hostname' }
        @{ Call = "Compare-LatencyRun -ReferenceRun 1 -DifferenceRun 'x'" }
        @{ Call = "New-OnloadImage -Tag 'Bad Tag' -BaseImage base -WhatIf" }
        @{ Call = 'New-OnloadImage -Tag onloadtools-bad:1 -BaseImage localhost/onloadtools-no-such-base -OnloadPackage /nonexistent/onload.rpm -Confirm:$false' }
        @{ Call = 'Get-OnloadImage -Name localhost/onloadtools-no-such-image:1' }
        @{ Call = 'Start-OnloadContainer -Image localhost/onloadtools-no-such-image:1 -Name onloadtools-bad-input -Confirm:$false' }
        @{ Call = 'Stop-OnloadContainer -Name onloadtools-no-such-container -Confirm:$false' }
        @{ Call = 'Get-OnloadContainer -Name onloadtools-no-such-container' }
        @{ Call = 'Measure-NetperfLatency -ComputerName no-such-host.invalid -Iterations 1 -Duration 1' }
        @{ Call = 'Measure-SockperfLatency -ComputerName 127.0.0.1 -Port 1 -Iterations 1 -Duration 1' }
        @{ Call = 'Measure-NetperfLatency -InterfaceName no-such-if0 -Iterations 1 -Duration 1' }
    ) {
        # A runspace of its own: the errors, terminating or not, and the warnings of the one call.
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$Manifest'").AddStatement().AddScript($Call)
            $terminating = $null
            $out = @()
            try { $out = @($ps.Invoke()) }
            catch {
                $inner = $_.Exception.InnerException
                $terminating = if ($inner -is [System.Management.Automation.IContainsErrorRecord]) { $inner.ErrorRecord }
                else { [System.Management.Automation.ErrorRecord]::new($inner, $inner.GetType().FullName, 'NotSpecified', $null) }
            }
            $errors = @($ps.Streams.Error) + @($terminating | Where-Object { $_ })
            ($errors.Count -gt 0 -or $ps.Streams.Warning.Count -gt 0 -or $out.Count -eq 0) |
                Should -BeTrue -Because "$Call must not go unnoticed: no error, no warning, and output"
            foreach ($e in $errors) {
                $what = "$Call -> $($e.FullyQualifiedErrorId) [$($e.CategoryInfo.Category)] $($e.Exception.GetType().Name): $($e.Exception.Message)"
                $e.FullyQualifiedErrorId | Should -Not -BeLike 'System.*' -Because "unmapped exception: $what"
                $Unmapped | Should -Not -Contain $e.Exception.GetType() -Because $what
                $e.CategoryInfo.Category | Should -Not -Be 'NotSpecified' -Because $what
                $e.Exception.Message | Should -Not -BeNullOrEmpty -Because $what
            }
        }
        finally { $ps.Dispose() }
    }

    It 'a missing image is a failed readiness check with a remedy, not an exception' {
        $check = @(Test-OnloadHost -Image localhost/onloadtools-no-such-image:1 -ErrorVariable errs | Where-Object Name -eq 'OnloadVersion')
        $errs | Should -BeNullOrEmpty
        $check.Count | Should -Be 1
        # Without Onload on the host the check fails on that; with it, on the missing image. Either way: Fail, with a remedy.
        $check[0].Status | Should -Be 'Fail'
        $check[0].Remediation | Should -Not -BeNullOrEmpty
    }
}
