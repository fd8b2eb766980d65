using System.Management.Automation;
using OnloadTools.Latency;

namespace OnloadTools.Commands;

/// <summary>Refuses a parameter value that is not an Onload profile name (<see cref="OnloadProfileName"/>: the same rule
/// an -Arm's OnloadProfile meets).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateOnloadProfileAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        if (OnloadProfileName.Problem(arguments?.ToString()) is { } problem) throw new ValidationMetadataException(problem);
    }
}
