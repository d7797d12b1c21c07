using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using k8s.Autorest;
using Kedge.Common.Checks;
using Kedge.Server.Kubernetes;

namespace Kedge.Server.Checks;

/// <summary>
/// Turns a failed Kubernetes API call into a line's facts and fix: a 403 names the identity (from the API server's own
/// message when it says it), the verb, the resource, the namespace and the RBAC rule to add (kedge needs list AND watch).
/// </summary>
internal static partial class KubernetesApiErrors
{
    [GeneratedRegex("User \"(?<user>[^\"]+)\"")]
    private static partial Regex UserInMessage();

    /// <summary>The identity kedge calls the API as, as far as the settings tell.</summary>
    public static string IdentityFrom(KubernetesOptions options)
        => options.UsesKubeconfig ? $"the user of {KubernetesClientFactory.Describe(options)}"
            : options.TokenFile is { } token ? $"the identity of the token in '{token}'"
            : "kedge's service account";

    /// <summary>The facts and fix for an exception from a call of <paramref name="verb"/> on <paramref name="resource"/>.</summary>
    /// <param name="exception">What the call threw.</param>
    /// <param name="verb">list or watch.</param>
    /// <param name="resource">The resource in RBAC's words: <c>endpointslices.discovery.k8s.io</c>, <c>services</c>.</param>
    /// <param name="ns">The namespace; null: all namespaces.</param>
    /// <param name="options">kedge's Kubernetes settings (for the identity and the API server).</param>
    public static (string Found, string Fix) Describe(Exception exception, string verb, string resource, string? ns, KubernetesOptions options)
    {
        var where = ns is null ? "in all namespaces" : $"in namespace '{ns}'";
        var server = options.ApiUrl ?? KubernetesClientFactory.Describe(options);
        switch (exception)
        {
            case HttpOperationException { Response.StatusCode: HttpStatusCode.Forbidden } forbidden:
            {
                var message = StatusMessage(forbidden);
                var identity = message is not null && UserInMessage().Match(message) is { Success: true } user ? user.Groups["user"].Value : IdentityFrom(options);
                var (found, fix) = Forbidden(identity, verb, resource, ns, reason: null);
                return ("403 Forbidden: " + found + (message is null ? string.Empty : $" (API server: {message})"), fix);
            }

            case HttpOperationException { Response.StatusCode: HttpStatusCode.Unauthorized }:
                return ($"401 Unauthorized: the API server {server} does not accept kedge's credentials ({IdentityFrom(options)})",
                    "renew the token (--k8sclient_token_file, Kedge:Kubernetes:TokenFile) or fix the kubeconfig user kedge uses");

            case HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound } notFound:
                return ($"404 Not Found on {verb} {resource} {where}" + (StatusMessage(notFound) is { } m ? $" ({m})" : string.Empty),
                    resource.Contains("discovery.k8s.io", StringComparison.Ordinal)
                        ? "kedge needs discovery.k8s.io/v1 EndpointSlices (Kubernetes 1.21 or later); check --k8sclient_kubeapi_url points at the API server"
                        : "check --k8sclient_kubeapi_url (Kedge:Kubernetes:ApiUrl) points at the Kubernetes API server");

            case HttpOperationException other:
                return ($"{(int)other.Response.StatusCode} {other.Response.ReasonPhrase} on {verb} {resource} {where}" + (StatusMessage(other) is { } s ? $" ({s})" : string.Empty),
                    "look at the API server's answer above; retry when the API server is healthy");

            case HttpRequestException request:
                return ($"cannot reach the API server {server}: {CheckRunner.Innermost(request).Message}",
                    request.InnerException is System.Security.Authentication.AuthenticationException
                        ? "trust the API server's CA: --k8sclient_ca_file (Kedge:Kubernetes:CaFile)"
                        : "check --k8sclient_kubeapi_url (Kedge:Kubernetes:ApiUrl) or the kubeconfig's server, and that the API server is reachable from here");

            case KubernetesAccessException access:
                return Split(access.Message);

            default:
                return ($"{verb} {resource} {where} failed: {exception.Message}", "check kedge's Kubernetes settings (Kedge:Kubernetes)");
        }
    }

    /// <summary>The facts and fix when <paramref name="identity"/> may not <paramref name="verb"/> <paramref name="resource"/>: the RBAC rule to add (list AND watch, which kedge needs both).</summary>
    public static (string Found, string Fix) Forbidden(string identity, string verb, string resource, string? ns, string? reason)
    {
        var where = ns is null ? "in all namespaces" : $"in namespace '{ns}'";
        var (group, plural) = resource.IndexOf('.', StringComparison.Ordinal) is var dot and > 0 ? (resource[(dot + 1)..], resource[..dot]) : (string.Empty, resource);
        var rule = $"{{apiGroups: [\"{group}\"], resources: [\"{plural}\"], verbs: [\"list\", \"watch\"]}}";
        var binding = ns is null ? "a ClusterRole with the rule " + rule + " and a ClusterRoleBinding"
            : $"a Role in namespace '{ns}' (or a ClusterRole) with the rule {rule} and a RoleBinding in '{ns}'";
        return ($"{identity} may not {verb} {resource} {where}" + (reason is null ? string.Empty : $" (SelfSubjectAccessReview: denied{(reason.Length > 0 ? ": " + reason : string.Empty)})"),
            $"grant {identity} list and watch on {resource} {where}: {binding} to that identity (deploy/kubernetes/20-rbac.yaml has kedge's rules)");
    }

    /// <summary>A <see cref="KubernetesAccessException"/> message says what is wrong, then (after "; ") what to set.</summary>
    public static (string Found, string Fix) Split(string message)
    {
        var at = message.IndexOf("; ", StringComparison.Ordinal);
        return at > 0 ? (message[..at], message[(at + 2)..]) : (message, "fix kedge's Kubernetes settings (Kedge:Kubernetes, the --k8sclient_* flags)");
    }

    private static string? StatusMessage(HttpOperationException exception)
    {
        var content = exception.Response?.Content;
        if (string.IsNullOrEmpty(content))
        {
            return null;
        }

        try
        {
            using var status = JsonDocument.Parse(content);
            return status.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
