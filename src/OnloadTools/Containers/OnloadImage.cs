namespace OnloadTools;

/// <summary>
/// An image built for Onload (New-OnloadImage) or inspected (Get-OnloadImage): what `atomic info` showed, plus
/// the package versions inside and whether its Onload matches the host's.
/// </summary>
public sealed class OnloadImage
{
    /// <summary>The first tag (repository:tag), or the short id for an untagged image.</summary>
    public string Name { get; set; } = "";
    public string[] Tags { get; set; } = Array.Empty<string>();
    /// <summary>Full image id (hex, without the sha256: prefix).</summary>
    public string Id { get; set; } = "";
    public DateTime? Created { get; set; }
    /// <summary>Size in bytes as the engine reports it.</summary>
    public long? Size { get; set; }
    /// <summary>podman or docker.</summary>
    public string Engine { get; set; } = "";
    /// <summary>The base image, when the image records it (the label <see cref="Containers.OnloadImageSpec.BaseNameLabel"/>).</summary>
    public string? BaseImage { get; set; }
    /// <summary>The image's org.openonload.version label.</summary>
    public string? OnloadVersion { get; set; }
    /// <summary>`onload --version` on this host, or null when Onload is not installed here.</summary>
    public string? HostOnloadVersion { get; set; }
    /// <summary>Null when either version is unknown.</summary>
    public bool? OnloadVersionMatchesHost { get; set; }
    /// <summary>The RUN label (`podman container runlabel RUN IMAGE` runs it).</summary>
    public string? RunLabel { get; set; }
    /// <summary>The image's default command (CMD), as a command line.</summary>
    public string? Command { get; set; }
    /// <summary>Every label as "key=value", sorted by key.</summary>
    public string[] Labels { get; set; } = Array.Empty<string>();
    /// <summary>Onload, netperf and related packages inside the image as "name version".</summary>
    public string[] Packages { get; set; } = Array.Empty<string>();
    /// <summary>The command that listed the packages (rpm -qa or dpkg-query -W run in the image), if it ran.</summary>
    public string? PackageQueryCommandLine { get; set; }
    /// <summary>The Dockerfile New-OnloadImage generated (null for Get-OnloadImage).</summary>
    public string? Dockerfile { get; set; }
    /// <summary>The build command New-OnloadImage ran (null for Get-OnloadImage).</summary>
    public string? BuildCommandLine { get; set; }

    public override string ToString() => Name;
}

/// <summary>What New-OnloadImage -WhatIf returns: the generated Dockerfile and the build command, nothing built.</summary>
public sealed class OnloadImageBuildPlan
{
    public string Tag { get; set; } = "";
    public string BaseImage { get; set; } = "";
    public string Engine { get; set; } = "";
    public string? OnloadVersion { get; set; }
    /// <summary>Package files that would be copied into the image.</summary>
    public string[] Packages { get; set; } = Array.Empty<string>();
    public string Dockerfile { get; set; } = "";
    public string BuildCommandLine { get; set; } = "";
    public string? RunLabel { get; set; }
    /// <summary>Where the Dockerfile would be kept (-DockerfilePath), if asked.</summary>
    public string? DockerfilePath { get; set; }

    public override string ToString() => BuildCommandLine;
}
