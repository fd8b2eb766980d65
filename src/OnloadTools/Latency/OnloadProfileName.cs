using System.Text.RegularExpressions;

namespace OnloadTools.Latency;

/// <summary>
/// What an Onload profile name may be: the one rule for every place a profile reaches <c>onload --profile=NAME</c>
/// (-OnloadProfile, an -Arm's OnloadProfile). onload looks a name up as a file among its profiles, so a name is letters,
/// digits, '_', '-' and '.', and not a path: no '/', not "." or "..", not starting with '-' (it would read as an option).
/// </summary>
internal static partial class OnloadProfileName
{
    /// <summary>The profile used when none is asked for (-OnloadProfile, an -Arm, an image's command): OpenOnload's
    /// latency profile.</summary>
    public const string Default = "latency";

    /// <summary>How onload is told the profile: <c>onload --profile=NAME</c>.</summary>
    public const string OptionPrefix = "--profile=";

    /// <summary>The option that selects a profile: <c>--profile=NAME</c>.</summary>
    public static string Option(string name) => OptionPrefix + name;

    /// <summary>Why <paramref name="name"/> cannot be a profile name, or null when it can.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "An Onload profile name cannot be empty.";
        if (!Allowed().IsMatch(name) || name.Trim('.').Length == 0)
        {
            return $"'{name}' is not an Onload profile name: use letters, digits, '_', '-' and '.' only (a name such as latency or throughput, not a path).";
        }
        return null;
    }

    [GeneratedRegex(@"\A[A-Za-z0-9_.][A-Za-z0-9_.\-]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Allowed();
}
