using Kedge.Server.Configuration;
using Microsoft.AspNetCore.Authorization;

namespace Kedge.Server.Authorization;

/// <summary>The caller's client certificate must carry an identity matching one of the rule's patterns.</summary>
internal sealed class ClientIdentityRequirement(ClientCertificateRuleOptions rule) : IAuthorizationRequirement
{
    public IReadOnlyList<string> CommonNames { get; } = [.. rule.SubjectCommonNames];

    public IReadOnlyList<string> DnsNames { get; } = [.. rule.DnsNames];

    public IReadOnlyList<string> Uris { get; } = [.. rule.Uris];

    /// <summary>A pattern where <c>*</c> stands for any run of characters.</summary>
    public static bool Matches(string pattern, string value, StringComparison comparison)
    {
        var parts = pattern.Split('*');
        if (parts.Length == 1)
        {
            return string.Equals(pattern, value, comparison);
        }

        if (!value.StartsWith(parts[0], comparison) || !value.EndsWith(parts[^1], comparison) || value.Length < parts[0].Length + parts[^1].Length)
        {
            return false;
        }

        var position = parts[0].Length;
        var end = value.Length - parts[^1].Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            var found = value.IndexOf(parts[i], position, end - position, comparison);
            if (found < 0)
            {
                return false;
            }

            position = found + parts[i].Length;
        }

        return true;
    }
}
