using Kedge.Common.Checks;

namespace Kedge.Server.Checks;

/// <summary><c>kedge check</c>: the configuration itself: the settings and routing read as at start, every error listed with its source path.</summary>
internal static class ConfigurationChecks
{
    public static IEnumerable<CheckDefinition> For(KedgeCheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return [];
    }
}
