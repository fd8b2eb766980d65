using System.Text.RegularExpressions;

namespace OnloadTools.Containers;

/// <summary>
/// The names the engines accept, checked before anything runs: image references (the distribution reference
/// grammar podman and docker share) and container names.
/// </summary>
internal static partial class ContainerNames
{
    // podman: [a-zA-Z0-9][a-zA-Z0-9_.-]*  docker: the same with at least two characters.
    [GeneratedRegex(@"^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerNameRegex();

    [GeneratedRegex(@"^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9]))*(?::[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DomainRegex();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex PathComponentRegex();

    [GeneratedRegex(@"^[\w][\w.\-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*(?:[\-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestRegex();

    [GeneratedRegex(@"^(?:sha256:)?[a-f0-9]{12,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex ImageIdRegex();

    /// <summary>Why the engine would reject <paramref name="name"/> as a container name, or null when it is fine.</summary>
    public static string? ContainerNameProblem(string? name, string engine)
    {
        if (string.IsNullOrEmpty(name)) return "A container name must not be empty.";
        if (!ContainerNameRegex().IsMatch(name))
            return $"'{name}' is not a valid container name: it must start with a letter or digit and contain only letters, digits, '_', '.' and '-'.";
        if (engine == ContainerEngine.Docker && name.Length < 2)
            return $"'{name}' is not a valid container name for docker: it needs at least two characters.";
        return null;
    }

    /// <summary>Why the engine would reject <paramref name="reference"/> as an image reference, or null when it is fine.</summary>
    /// <param name="allowDigest">Accept name@algorithm:hex (not for tags being created).</param>
    /// <param name="allowId">Accept a bare image id (hex, optionally sha256:).</param>
    public static string? ImageReferenceProblem(string? reference, bool allowDigest = true, bool allowId = true)
    {
        if (string.IsNullOrEmpty(reference)) return "An image name must not be empty.";
        if (allowId && ImageIdRegex().IsMatch(reference)) return null;
        if (reference.Any(char.IsWhiteSpace)) return $"'{reference}' is not a valid image name: it contains white space.";

        string rest = reference;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            if (!allowDigest) return $"'{reference}' is not a valid tag: a tag cannot carry a digest (@…).";
            string digest = rest[(at + 1)..];
            if (!DigestRegex().IsMatch(digest)) return $"'{reference}' is not a valid image reference: '{digest}' is not a digest (algorithm:hex).";
            rest = rest[..at];
        }

        int lastSlash = rest.LastIndexOf('/');
        int colon = rest.IndexOf(':', lastSlash + 1);
        if (colon >= 0)
        {
            string tag = rest[(colon + 1)..];
            if (!TagRegex().IsMatch(tag))
                return $"'{reference}' is not a valid image reference: the tag '{tag}' must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'.";
            rest = rest[..colon];
        }

        if (rest.Length == 0) return $"'{reference}' is not a valid image reference: the repository name is empty.";
        if (rest.Length > 255) return $"'{reference}' is not a valid image reference: the repository name is longer than 255 characters.";

        string[] parts = rest.Split('/');
        int first = 0;
        if (parts.Length > 1 && (parts[0].Contains('.') || parts[0].Contains(':') || parts[0] == "localhost" || parts[0].Any(char.IsUpper)))
        {
            if (!DomainRegex().IsMatch(parts[0])) return $"'{reference}' is not a valid image reference: '{parts[0]}' is not a valid registry host.";
            first = 1;
        }
        for (int i = first; i < parts.Length; i++)
        {
            string p = parts[i];
            if (p.Length == 0) return $"'{reference}' is not a valid image reference: it has an empty path component.";
            if (p.Any(char.IsUpper)) return $"'{reference}' is not a valid image reference: repository names must be lowercase ('{p}').";
            if (!PathComponentRegex().IsMatch(p))
                return $"'{reference}' is not a valid image reference: '{p}' may contain only lowercase letters, digits and single separators ('.', '_', '__', '-').";
        }
        return null;
    }
}
