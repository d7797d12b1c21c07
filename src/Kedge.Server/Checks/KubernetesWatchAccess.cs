using k8s;
using k8s.Models;

namespace Kedge.Server.Checks;

/// <summary>
/// Whether kedge may watch what it lists, asked the way <c>kubectl auth can-i watch</c> asks: a
/// SelfSubjectAccessReview with kedge's credentials (any authenticated identity may create one). A watch request itself
/// would not do: KubernetesClient surfaces its status only with the first event, which may take the whole watch timeout.
/// </summary>
internal static class KubernetesWatchAccess
{
    /// <summary>Null when the watch is allowed (or the API server cannot say); otherwise the API server's reason, possibly empty.</summary>
    public static async Task<string?> DeniedAsync(IKubernetes client, string group, string resource, string? ns, CancellationToken cancellationToken)
    {
        var review = new V1SelfSubjectAccessReview
        {
            ApiVersion = "authorization.k8s.io/v1",
            Kind = "SelfSubjectAccessReview",
            Spec = new V1SelfSubjectAccessReviewSpec
            {
                ResourceAttributes = new V1ResourceAttributes { Group = group, Resource = resource, Verb = "watch", NamespaceProperty = ns },
            },
        };
        try
        {
            var answer = await client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(review, cancellationToken: cancellationToken);
            return answer.Status?.Allowed == false ? answer.Status.Reason ?? string.Empty : null;
        }
        catch (k8s.Autorest.HttpOperationException)
        {
            // The API server does not answer access reviews: the list succeeded, and whether the watch will is unknown.
            return null;
        }
    }
}
