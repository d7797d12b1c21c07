using Kedge.Common.Checks;

namespace Kedge.Server.Checks;

/// <summary><c>kedge check</c>: cluster access with kedge's own credentials and RBAC, and discovery (labelled Services, duplicate names).</summary>
internal static class KubernetesChecks
{
    public static IEnumerable<CheckDefinition> For(KedgeCheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return [];
    }
}
