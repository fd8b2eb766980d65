#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# -Confirm prompts say as much as -WhatIf: a child pwsh (the real console host) runs the cmdlet with -Confirm and
# is answered N on stdin, so the prompt is the one an admin reads and nothing changes on this host.

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    # Runs a command in a fresh pwsh with the module, feeds $Answer to its prompts, returns stdout with whitespace collapsed.
    function script:Invoke-ChildPwsh([string] $Command, [string] $Answer) {
        $psi = New-FreshPwshStartInfo '-NoProfile', '-Command', "Import-Module '$Manifest'; $Command; 'CHILD-DONE'"
        $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
        $p = [System.Diagnostics.Process]::Start($psi)
        if ($Answer) { $p.StandardInput.WriteLine($Answer) }
        $p.StandardInput.Close()
        $errTask = $p.StandardError.ReadToEndAsync()
        $out = $p.StandardOutput.ReadToEnd()
        $p.WaitForExit(120000) | Out-Null
        $null = $errTask.Result
        ($out -replace '\s+', ' ').Trim()
    }
}

Describe 'Invoke-TunedProfile -Confirm' {
    BeforeAll {
        $script:Active = (& tuned-adm active 2>$null) -replace '^Current active profile: ', ''
        $script:Target = @('network-latency', 'latency-performance') | Where-Object { $_ -ne $Active } | Select-Object -First 1
        $script:WhatIf = Invoke-ChildPwsh "Invoke-TunedProfile $Target -WhatIf" $null
        $script:Prompt = Invoke-ChildPwsh "Invoke-TunedProfile $Target -Confirm" 'N'
    }

    It 'lists in its prompt every value -WhatIf says would change' {
        $WhatIf | Should -Match "tuned-adm profile $Target"
        $changes = [regex]::Matches($WhatIf, '([\w.]+) (\S+) -> ([^\s,;]+)') | ForEach-Object Value
        $changes.Count | Should -BeGreaterThan 0 -Because "switching to $Target changes sysctls here: $WhatIf"
        $Prompt | Should -Match '\[Y\] Yes'
        foreach ($c in $changes) { $Prompt | Should -Match ([regex]::Escape($c)) -Because 'the -Confirm prompt must name each change' }
        if ($WhatIf -match 'kernel arguments for the next boot: (\S+)') { $Prompt | Should -Match ([regex]::Escape($Matches[1])) }
    }

    It 'changes nothing when the answer is No' {
        $Prompt | Should -Match 'CHILD-DONE'
        ((& tuned-adm active 2>$null) -replace '^Current active profile: ', '') | Should -Be $Active
    }
}
