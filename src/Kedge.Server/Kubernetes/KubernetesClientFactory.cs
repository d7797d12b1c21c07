using System.Globalization;
using Kedge.Common.Tls;
using k8s;
using k8s.KubeConfigModels;

namespace Kedge.Server.Kubernetes;

/// <summary>Builds the KubernetesClient from <see cref="KubernetesOptions"/>: a kubeconfig when one is named, else the in-cluster service account.</summary>
internal static class KubernetesClientFactory
{
    public static IKubernetes Create(KubernetesOptions options)
    {
        var configuration = options.UsesKubeconfig ? FromKubeconfig(options) : InCluster(options);
        return new k8s.Kubernetes(configuration);
    }

    private static KubernetesClientConfiguration FromKubeconfig(KubernetesOptions options)
    {
        var path = string.IsNullOrEmpty(options.KubeconfigPath) ? KubernetesClientConfiguration.KubeConfigDefaultLocation : options.KubeconfigPath;
        if (!File.Exists(path))
        {
            throw new KubernetesAccessException($"Kubernetes: the kubeconfig '{path}' does not exist; set --k8sclient_kubeconfig_path (Kedge:Kubernetes:KubeconfigPath) to an existing file, or run in a cluster.");
        }

        K8SConfiguration kubeconfig;
        try
        {
            kubeconfig = KubernetesClientConfiguration.LoadKubeConfig(path);
        }
        catch (Exception ex)
        {
            throw new KubernetesAccessException($"Kubernetes: the kubeconfig '{path}' could not be read: {ex.Message}", ex);
        }

        var contextName = string.IsNullOrEmpty(options.KubeconfigContext) ? kubeconfig.CurrentContext : options.KubeconfigContext;
        var context = kubeconfig.Contexts?.FirstOrDefault(c => c.Name == contextName)
            ?? throw new KubernetesAccessException($"Kubernetes: the kubeconfig '{path}' has no context '{contextName}'; set Kedge:Kubernetes:KubeconfigContext to one of: {string.Join(", ", kubeconfig.Contexts?.Select(c => c.Name) ?? [])}.");
        if (!string.IsNullOrEmpty(options.KubeconfigUser))
        {
            if (kubeconfig.Users?.Any(u => u.Name == options.KubeconfigUser) != true)
            {
                // Go kedge's message (pkg/tokenauth/sources/k8s).
                throw new KubernetesAccessException($"Failed to find user {options.KubeconfigUser} inside k8s config AuthInfo from file {path}");
            }

            context.ContextDetails.User = options.KubeconfigUser;
        }

        try
        {
            var configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeconfig, contextName, string.IsNullOrEmpty(options.ApiUrl) ? null : options.ApiUrl);
            if (options.TlsInsecure)
            {
                configuration.SkipTlsVerify = true;
            }

            return configuration;
        }
        catch (Exception ex) when (ex is not KubernetesAccessException)
        {
            throw new KubernetesAccessException($"Kubernetes: the kubeconfig '{path}' (context '{contextName}') is not usable: {ex.Message}", ex);
        }
    }

    private static KubernetesClientConfiguration InCluster(KubernetesOptions options)
    {
        var url = options.ApiUrl;
        if (string.IsNullOrEmpty(url))
        {
            var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
            var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
            if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
            {
                throw new KubernetesAccessException(
                    "Kubernetes: no cluster access found: not running in a cluster (KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are unset) and no API server or kubeconfig given; "
                    + "set --k8sclient_kubeapi_url (Kedge:Kubernetes:ApiUrl) with a token file, or --k8sclient_kubeconfig_path (Kedge:Kubernetes:KubeconfigPath).");
            }

            url = "https://" + (host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host) + ":" + port;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.Host.Length == 0)
        {
            throw new KubernetesAccessException($"Kubernetes: the API server URL '{url}' is not an absolute http(s) URL; set --k8sclient_kubeapi_url (Kedge:Kubernetes:ApiUrl), for example 'https://10.0.0.1:443'.");
        }

        var configuration = new KubernetesClientConfiguration { Host = url, SkipTlsVerify = options.TlsInsecure };
        if (!options.TlsInsecure && uri.Scheme == Uri.UriSchemeHttps)
        {
            var caFile = options.CaFile ?? (File.Exists(KubernetesOptions.ServiceAccountCaFile) ? KubernetesOptions.ServiceAccountCaFile : null);
            if (caFile is not null)
            {
                if (!File.Exists(caFile))
                {
                    throw new KubernetesAccessException($"Kubernetes: the CA file '{caFile}' does not exist; fix --k8sclient_ca_file (Kedge:Kubernetes:CaFile).");
                }

                try
                {
                    configuration.SslCaCerts = TrustBundle.Load([caFile]).Certificates;
                }
                catch (InvalidDataException)
                {
                    throw new KubernetesAccessException($"Kubernetes: the CA file '{caFile}' holds no PEM certificate; fix --k8sclient_ca_file (Kedge:Kubernetes:CaFile).");
                }
            }
        }

        var tokenFile = options.TokenFile ?? (File.Exists(KubernetesOptions.ServiceAccountTokenFile) ? KubernetesOptions.ServiceAccountTokenFile : null);
        if (tokenFile is not null)
        {
            if (!File.Exists(tokenFile))
            {
                throw new KubernetesAccessException($"Kubernetes: the token file '{tokenFile}' does not exist; fix --k8sclient_token_file (Kedge:Kubernetes:TokenFile).");
            }

            configuration.TokenProvider = new ServiceAccountTokenProvider(tokenFile);
        }

        return configuration;
    }

    internal static string Describe(KubernetesOptions options)
        => options.UsesKubeconfig ? string.Create(CultureInfo.InvariantCulture, $"kubeconfig {options.KubeconfigPath ?? "~/.kube/config"}") : options.ApiUrl ?? "in-cluster service account";
}
