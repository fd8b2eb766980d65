using System.Management.Automation;
using OnloadTools.Solarflare;

namespace OnloadTools.Commands;

/// <summary>Get-SfcInterface: the sfc network interfaces from sysfs, with the physical port each PF uses.</summary>
[Cmdlet(VerbsCommon.Get, "SfcInterface")]
[OutputType(typeof(SfcInterface))]
public sealed class GetSfcInterfaceCommand : OnloadCmdlet
{
    /// <summary>Interface names; wildcards allowed. Default: every sfc interface.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("InterfaceName")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SfcInterfaceNameCompleter))]
    public string[]? Name { get; set; }

    private List<SfcInterface>? _all;

    protected override void Process()
    {
        ErrorTarget = HostFs.Map("/sys/class/net");   // a sysfs this user may not read is PermissionDenied on it
        _all ??= new SfcInterfaceReader(HostFs).Read();

        if (Name is null)
        {
            foreach (var i in _all) WriteObject(i);
            return;
        }
        foreach (string pattern in Name)
        {
            var wildcard = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
            var matches = _all.Where(i => wildcard.IsMatch(i.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteError(Error(new ItemNotFoundException($"No sfc interface named '{pattern}' (the sfc interfaces here: {(_all.Count == 0 ? "none" : string.Join(", ", _all.Select(i => i.Name)))})."),
                    ErrorIds.SfcInterfaceNotFound, ErrorCategory.ObjectNotFound, pattern));
            }
            foreach (var i in matches) WriteObject(i);
        }
    }
}
