using System.Management.Automation;
using OnloadTools.Processes;
using OnloadTools.Tuning;

namespace OnloadTools.Commands;

/// <summary>Get-TunedProfile: installed tuned profiles (active, recommended), or a profile's effective settings.</summary>
[Cmdlet(VerbsCommon.Get, "TunedProfile", DefaultParameterSetName = ListSet)]
[OutputType(typeof(TunedProfile), ParameterSetName = new[] { ListSet })]
[OutputType(typeof(TunedProfileSetting), ParameterSetName = new[] { EffectiveSet })]
public sealed class GetTunedProfileCommand : OnloadCmdlet
{
    private const string ListSet = "List";
    private const string EffectiveSet = "Effective";

    /// <summary>Profile names (wildcards allowed in the list form).</summary>
    [Parameter(ParameterSetName = ListSet, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = EffectiveSet, Position = 0, Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TunedProfileNameCompleter))]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>Only the active profile.</summary>
    [Parameter(ParameterSetName = ListSet)]
    public SwitchParameter Active { get; set; }

    /// <summary>The settings tuned applies for the profile, its include= chain resolved.</summary>
    [Parameter(ParameterSetName = EffectiveSet, Mandatory = true)]
    public SwitchParameter Effective { get; set; }

    private List<TunedProfile>? _profiles;
    private TunedService? _service;

    protected override void Begin()
    {
        _service = new TunedService(Runner, HostFs);
        if (!_service.IsInstalled && !_service.Catalog.AnyInstalled)
        {
            throw new ToolNotFoundException(TunedService.TunedAdm);
        }
    }

    protected override void Process()
    {
        var service = _service!;
        if (Effective.IsPresent)
        {
            foreach (string name in Name!)
            {
                var effective = service.Catalog.Resolve(name);
                if (effective is null)
                {
                    WriteError(NotFound(name));
                    continue;
                }
                WriteVerbose($"{name}: include chain {string.Join(" -> ", effective.Chain)}");
                foreach (string failed in effective.FailedAssertions)
                {
                    WriteWarning($"{name}: tuned would refuse to load this profile on this host: its assertion '{failed}' fails (for example a variable the profile needs is not set).");
                }
                foreach (var s in effective.Settings)
                {
                    WriteObject(new TunedProfileSetting { Profile = name, Plugin = s.Plugin, Name = s.Name, Value = s.Value, DefinedIn = s.DefinedIn });
                }
            }
            return;
        }

        ErrorTarget = TunedService.TunedAdm;
        _profiles ??= Await(service.ListAsync(Cancellation));
        IEnumerable<TunedProfile> selected = _profiles;
        if (Active.IsPresent) selected = selected.Where(p => p.IsActive);
        if (Name is null)
        {
            WriteObject(selected, enumerateCollection: true);
            return;
        }
        foreach (string n in Name)
        {
            var pattern = new WildcardPattern(n, WildcardOptions.IgnoreCase);
            var hits = selected.Where(p => pattern.IsMatch(p.Name)).ToArray();
            if (hits.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(n)) WriteError(NotFound(n));
            WriteObject(hits, enumerateCollection: true);
        }
    }

    private static ErrorRecord NotFound(string name) =>
        DomainError(new TunedProfileNotFoundException(name, "Get-TunedProfile lists the installed ones."), name)!;
}
