using System.Collections;
using System.Management.Automation;
using OnloadTools.Latency;

namespace OnloadTools.Commands;

/// <summary>Turns an -Arm hashtable of Invoke-LatencyComparison into the experiment's <see cref="ComparisonArm"/> and
/// the arm's Prepare scriptblock. A malformed one is an <see cref="ArgumentException"/> (the cmdlet's InvalidArm).</summary>
internal static class ComparisonArmBinder
{
    public static readonly string[] Keys = { "Label", "Onload", "OnloadProfile", "Container", "Image", "Prepare" };

    /// <exception cref="ArgumentException">An unknown key, no Label, Prepare not a scriptblock, Container and Image
    /// together, or an OnloadProfile that is not a profile name (the rule -OnloadProfile meets).</exception>
    public static (ComparisonArm Arm, ScriptBlock? Prepare) Bind(Hashtable h, string defaultProfile)
    {
        foreach (object key in h.Keys)
        {
            if (!Keys.Contains(key.ToString(), StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"-Arm has an unknown key '{key}'. Known keys: {string.Join(", ", Keys)}.", "Arm");
            }
        }
        object? Get(string k) => h.Keys.Cast<object>().FirstOrDefault(x => string.Equals(x.ToString(), k, StringComparison.OrdinalIgnoreCase)) is { } key
            ? (h[key] is PSObject p ? p.BaseObject : h[key]) : null;
        string? label = Get("Label")?.ToString();
        if (label is not { Length: > 0 }) throw new ArgumentException("Each -Arm needs a Label (for example @{ Label = 'onload'; Onload = $true }).", "Arm");
        var prepare = Get("Prepare");
        if (prepare is not null and not ScriptBlock) throw new ArgumentException($"-Arm '{label}': Prepare must be a scriptblock.", "Arm");
        string? container = Get("Container") switch
        {
            null => null,
            OnloadContainer c => c.Name,
            var o => PSObject.AsPSObject(o).Properties["Name"]?.Value?.ToString() ?? o.ToString(),
        };
        string? image = Get("Image")?.ToString();
        if (container is not null && image is not null) throw new ArgumentException($"-Arm '{label}': give Container or Image, not both.", "Arm");
        string profile = Get("OnloadProfile")?.ToString() ?? defaultProfile;
        if (OnloadProfileName.Problem(profile) is { } bad) throw new ArgumentException($"-Arm '{label}': {bad}", "Arm");
        var arm = new ComparisonArm
        {
            Label = label,
            Onload = LanguagePrimitives.IsTrue(Get("Onload")),
            OnloadProfile = profile,
            Container = container,
            Image = image,
            HasPrepare = prepare is not null,
        };
        return (arm, prepare as ScriptBlock);
    }
}
