namespace OnloadTools.Onload;

/// <summary>How an image's Onload (its <see cref="OnloadFacts.VersionLabel"/> label) stands to the host's.</summary>
internal enum OnloadVersionAgreement
{
    /// <summary>The same release.</summary>
    Match,
    /// <summary>Different releases: the user-space library in the container would not match the host's kernel module.</summary>
    Mismatch,
    /// <summary>The image carries no version label: it cannot be checked.</summary>
    ImageUnlabelled,
    /// <summary>The host has no Onload (or it does not answer): nothing to check against.</summary>
    HostWithoutOnload,
}

/// <summary>The one judgement of an image's Onload against the host's, with the words each outcome is reported in.</summary>
internal sealed class OnloadVersionCheck
{
    private OnloadVersionCheck(string image, string? imageVersion, string? hostVersion)
    {
        Image = image;
        ImageVersion = imageVersion is { Length: > 0 } ? imageVersion : null;
        HostVersion = hostVersion is { Length: > 0 } ? hostVersion : null;
        Agreement = ImageVersion is null ? OnloadVersionAgreement.ImageUnlabelled
            : HostVersion is null ? OnloadVersionAgreement.HostWithoutOnload
            : OnloadFacts.VersionsMatch(ImageVersion, HostVersion) ? OnloadVersionAgreement.Match
            : OnloadVersionAgreement.Mismatch;
    }

    /// <summary>Judges the image from its labels.</summary>
    public static OnloadVersionCheck Of(string image, IReadOnlyDictionary<string, string> labels, string? hostVersion) =>
        new(image, labels.TryGetValue(OnloadFacts.VersionLabel, out string? v) ? v : null, hostVersion);

    public string Image { get; }
    public string? ImageVersion { get; }
    public string? HostVersion { get; }
    public OnloadVersionAgreement Agreement { get; }

    /// <summary>True or false when both versions are known; null when either is not.</summary>
    public bool? Matches => Agreement switch
    {
        OnloadVersionAgreement.Match => true,
        OnloadVersionAgreement.Mismatch => false,
        _ => null,
    };

    /// <summary>What a user is warned of when the versions cannot be compared; null when they can.</summary>
    public string? Warning => Agreement switch
    {
        OnloadVersionAgreement.ImageUnlabelled =>
            $"Image '{Image}' has no {OnloadFacts.VersionLabel} label: its Onload version cannot be checked against the host's.",
        OnloadVersionAgreement.HostWithoutOnload =>
            $"Onload is not installed on this host ('onload --version' is unavailable): image '{Image}' holds Onload {ImageVersion}.",
        _ => null,
    };

    /// <summary>The refusal of a mismatch.</summary>
    /// <exception cref="InvalidOperationException">The versions do not differ.</exception>
    public OnloadVersionMismatchException Mismatch() => Agreement == OnloadVersionAgreement.Mismatch
        ? new OnloadVersionMismatchException(Image, ImageVersion!, HostVersion!)
        : throw new InvalidOperationException($"Image '{Image}' and the host do not hold different Onload versions.");
}

/// <summary>Host and image Onload versions differ (user-space and kernel module must match).</summary>
internal sealed class OnloadVersionMismatchException : Exception
{
    public const string Remedy = "Rebuild the image with the host's Onload packages (New-OnloadImage), or use -Force to start it anyway.";

    public OnloadVersionMismatchException(string image, string imageVersion, string hostVersion)
        : base(Describe(image, imageVersion, hostVersion) + " " + Remedy)
    {
        Image = image;
        ImageVersion = imageVersion;
        HostVersion = hostVersion;
    }

    public string Image { get; }
    public string ImageVersion { get; }
    public string HostVersion { get; }

    /// <summary>The facts of the mismatch without the remedy (what a forced start warns of).</summary>
    public string Summary => Describe(Image, ImageVersion, HostVersion);

    private static string Describe(string image, string imageVersion, string hostVersion) =>
        $"Image '{image}' holds Onload {imageVersion} but this host runs Onload {hostVersion}. " +
        "Onload's user-space library in a container must match the host's kernel module.";
}
