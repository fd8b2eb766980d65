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

    protected override void ProcessRecord()
    {
        try
        {
            _all ??= new SfcInterfaceReader(HostFs).Read();
        }
        catch (UnauthorizedAccessException e)
        {
            ThrowTerminatingError(Error(e, "PermissionDenied", ErrorCategory.PermissionDenied, HostFs.Map("/sys/class/net")));
            return;
        }

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
                    "SfcInterfaceNotFound", ErrorCategory.ObjectNotFound, pattern));
            }
            foreach (var i in matches) WriteObject(i);
        }
    }
}
