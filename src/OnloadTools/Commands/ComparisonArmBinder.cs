using System.Collections;
using System.Management.Automation;
using OnloadTools.Latency;

namespace OnloadTools.Commands;

/// <summary>Turns an -Arm hashtable of Invoke-LatencyComparison into the experiment's <see cref="ComparisonArm"/> and
/// the arm's Prepare scriptblock, or says why it cannot (the cmdlet's InvalidArm).</summary>
internal static class ComparisonArmBinder
{
    public static readonly string[] Keys = { "Label", "Onload", "OnloadProfile", "Container", "Image", "Prepare" };

    /// <summary>The arm, or (null, null, why): an unknown key, no Label, Prepare not a scriptblock, Container and Image
    /// together, or an OnloadProfile that is not a profile name (the rule -OnloadProfile meets).</summary>
    public static (ComparisonArm? Arm, ScriptBlock? Prepare, string? Problem) Bind(Hashtable h, string defaultProfile)
    {
        foreach (object key in h.Keys)
        {
            if (!Keys.Contains(key.ToString(), StringComparer.OrdinalIgnoreCase))
            {
                return Refused($"-Arm has an unknown key '{key}'. Known keys: {string.Join(", ", Keys)}.");
            }
        }
        object? Get(string k) => h.Keys.Cast<object>().FirstOrDefault(x => string.Equals(x.ToString(), k, StringComparison.OrdinalIgnoreCase)) is { } key
            ? (h[key] is PSObject p ? p.BaseObject : h[key]) : null;
        string? label = Get("Label")?.ToString();
        if (label is not { Length: > 0 }) return Refused("Each -Arm needs a Label (for example @{ Label = 'onload'; Onload = $true }).");
        var prepare = Get("Prepare");
        if (prepare is not null and not ScriptBlock) return Refused($"-Arm '{label}': Prepare must be a scriptblock.");
        string? container = Get("Container") switch
        {
            null => null,
            OnloadContainer c => c.Name,
            var o => PSObject.AsPSObject(o).Properties["Name"]?.Value?.ToString() ?? o.ToString(),
        };
        string? image = Get("Image")?.ToString();
        if (container is not null && image is not null) return Refused($"-Arm '{label}': give Container or Image, not both.");
        string profile = Get("OnloadProfile")?.ToString() ?? defaultProfile;
        if (OnloadProfileName.Problem(profile) is { } bad) return Refused($"-Arm '{label}': {bad}");
        var arm = new ComparisonArm
        {
            Label = label,
            Onload = LanguagePrimitives.IsTrue(Get("Onload")),
            OnloadProfile = profile,
            Container = container,
            Image = image,
            HasPrepare = prepare is not null,
        };
        return (arm, prepare as ScriptBlock, null);
    }

    private static (ComparisonArm?, ScriptBlock?, string?) Refused(string problem) => (null, null, problem);
}
