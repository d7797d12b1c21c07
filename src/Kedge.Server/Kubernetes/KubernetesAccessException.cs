namespace Kedge.Server.Kubernetes;

/// <summary>No usable Kubernetes API access could be set up; the message says what to configure.</summary>
internal sealed class KubernetesAccessException(string message, Exception? inner = null) : Exception(message, inner);
