using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Go;
using Microsoft.Extensions.Configuration;

namespace Kedge.Server.Tests.Configuration;

public sealed class NativeConfigWriterTests
{
    [Fact]
    public void ToNativeJson_FullOptions_RoundTripsThroughConfigurationBinder()
    {
        var options = FullOptions();

        var json = NativeConfigWriter.ToNativeJson(options);
        var bound = Bind(json);

        Assert.Equal(json, NativeConfigWriter.ToNativeJson(bound));
        Assert.Equal("X-Env", Assert.Single(bound.HttpRoutes[0].Headers).Key);
        Assert.Equal("prod", bound.HttpRoutes[0].Headers["x-env"]);
        Assert.Equal(ProxyMode.ForwardProxy, bound.HttpRoutes[0].ProxyMode);
        Assert.Equal([8080, 9090], bound.HttpAdhocRules[0].Port.Allowed);
    }

    [Fact]
    public void FullOptions_SetsEveryProperty_SoTheRoundTripCoversTheWholeModel()
    {
        // Adding a property to the model without adding it to FullOptions fails here, and then the round trip tells
        // whether the writer and the binder agree on it.
        var unset = new List<string>();
        FindUnset(FullOptions(), nameof(KedgeServerOptions), unset);

        Assert.Empty(unset);
    }

    [Fact]
    public void ToNativeJson_GoConfigTranslation_RoundTrips()
    {
        const string Director = """
            {"http":{"routes":[{"backend_name":"nonsecure_http","host_matcher":"nonsecure.ext.example.com","port_matcher":8435,"proxy_mode":"REVERSE_PROXY"}],
                     "adhoc_rules":[{"dns_name_matcher":"*.pods.cluster.local","port":{"default":8080,"allowed_ranges":[{"from":40,"to":10000}]}}]},
             "grpc":{"routes":[{"backendName":"controller","serviceNameMatcher":"*","authorityHostMatcher":"controller.ext.cluster.local"}]}}
            """;
        const string Pool = """
            {"grpc":{"backends":[{"name":"controller","security":{"insecure_skip_verify":true},"srv":{"dns_name":"_grpc._tcp.controller.default.svc.cluster.local"}}]},
             "http":{"backends":[{"name":"nonsecure_http","k8s":{"dns_port_name":"nonsecure.default:http"}}]}}
            """;
        var errors = new List<string>();
        var options = GoConfigReader.Translate(Director, Pool, errors);
        Assert.Empty(errors);

        var json = NativeConfigWriter.ToNativeJson(options!);

        Assert.Equal(json, NativeConfigWriter.ToNativeJson(Bind(json)));
    }

    [Fact]
    public void ToNativeJson_Options_WritesKedgeSectionWithPascalCaseAndEnumNames()
    {
        var options = new KedgeServerOptions
        {
            HttpRoutes = { new HttpRouteOptions { Backend = "web", ProxyMode = ProxyMode.ReverseProxy } },
            GrpcBackends = { new BackendOptions { Name = "users", Host = new HostResolverOptions { DnsName = "users.local", Port = 8081 } } },
        };

        var json = NativeConfigWriter.ToNativeJson(options);

        using var document = JsonDocument.Parse(json);
        var kedge = Assert.Single(document.RootElement.EnumerateObject());
        Assert.Equal("Kedge", kedge.Name);
        var route = kedge.Value.GetProperty("HttpRoutes")[0];
        Assert.Equal("web", route.GetProperty("Backend").GetString());
        Assert.Equal("ReverseProxy", route.GetProperty("ProxyMode").GetString());
        Assert.False(route.TryGetProperty("Host", out _));
        var backend = kedge.Value.GetProperty("GrpcBackends")[0];
        Assert.Equal("RoundRobin", backend.GetProperty("Balancer").GetString());
        Assert.Equal(8081, backend.GetProperty("Host").GetProperty("Port").GetInt32());
        Assert.False(backend.TryGetProperty("Tls", out _));
        Assert.False(backend.TryGetProperty("Srv", out _));
        Assert.EndsWith("}\n", json, StringComparison.Ordinal);
    }

    [Fact]
    public void ToNativeJson_SpecialCharacters_WrittenReadably()
    {
        var options = new KedgeServerOptions
        {
            HttpRoutes = { new HttpRouteOptions { Backend = "web", Headers = { ["X-Query"] = "a+b&c<d>'e'" } } },
        };

        var json = NativeConfigWriter.ToNativeJson(options);

        Assert.Contains("\"a+b&c<d>'e'\"", json, StringComparison.Ordinal);
        Assert.Equal("a+b&c<d>'e'", Bind(json).HttpRoutes[0].Headers["x-query"]);
    }

    [Fact]
    public void ToNativeJson_EmptyOptions_BindsToEmptyOptions()
    {
        var json = NativeConfigWriter.ToNativeJson(new KedgeServerOptions());

        var bound = Bind(json);

        Assert.Empty(bound.HttpRoutes);
        Assert.Empty(bound.GrpcBackends);
    }

    [Fact]
    public void ToNativeJson_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => NativeConfigWriter.ToNativeJson(null!));
    }

    internal static KedgeServerOptions Bind(string json)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)))
            .Build();
        return configuration.GetSection(NativeConfigWriter.SectionName).Get<KedgeServerOptions>() ?? new KedgeServerOptions();
    }

    private static KedgeServerOptions FullOptions() => new()
    {
        HttpRoutes =
        {
            new HttpRouteOptions
            {
                Name = "web-api",
                Backend = "web",
                Host = "web.example.com",
                Port = 8443,
                PathRules = { "/api/*", "/healthz" },
                AllowAmbiguousPaths = true,
                Headers = { ["X-Env"] = "prod" },
                ProxyMode = ProxyMode.ForwardProxy,
                ResendIdempotentOnce = true,
                Autogenerated = true,
                Authorization = new RouteAuthorizationOptions { Permissions = { "admin" }, ClientCertificate = new ClientCertificateRuleOptions { SubjectCommonNames = { "api" }, DnsNames = { "*.payments" }, Uris = { "spiffe://a/*" } } },

            },
        },
        GrpcRoutes =
        {
            new GrpcRouteOptions
            {
                Name = "users-grpc",
                Backend = "users",
                ServiceName = "com.example.users.*",
                AuthorityHost = "users.example.com",
                AuthorityPort = 8444,
                Metadata = { ["x-tenant"] = "acme" },
                Autogenerated = true,
                Authorization = new RouteAuthorizationOptions { Permissions = { "admin" }, ClientCertificate = new ClientCertificateRuleOptions { SubjectCommonNames = { "api" }, DnsNames = { "*.payments" }, Uris = { "spiffe://a/*" } } },

            },
        },
        HttpAdhocRules =
        {
            new AdhocRuleOptions
            {
                DnsNameMatcher = "*.pods.cluster.local",
                Port = new AdhocPortOptions { Default = 8080, Allowed = { 8080, 9090 }, AllowedRanges = { new AdhocPortRangeOptions { From = 40, To = 10000 } } },
                DnsNameReplace = new AdhocReplaceOptions { Pattern = "cluster1.example.com", Substitution = "cluster.local" },
                AllowedReservedNetworks = { "127.0.0.0/8" },
                Authorization = new RouteAuthorizationOptions { Permissions = { "admin" }, ClientCertificate = new ClientCertificateRuleOptions { SubjectCommonNames = { "api" }, DnsNames = { "*.payments" }, Uris = { "spiffe://a/*" } } },

            },
        },
        GrpcAdhocRules =
        {
            new AdhocRuleOptions
            {
                DnsNameMatcher = "*.svc.cluster.local",
                Port = new AdhocPortOptions { Default = 81, Allowed = { 81 }, AllowedRanges = { new AdhocPortRangeOptions { From = 9000, To = 9100 } } },
                DnsNameReplace = new AdhocReplaceOptions { Pattern = "a", Substitution = "b" },
                AllowedReservedNetworks = { "::1/128" },
                Authorization = new RouteAuthorizationOptions { Permissions = { "admin" }, ClientCertificate = new ClientCertificateRuleOptions { SubjectCommonNames = { "api" }, DnsNames = { "*.payments" }, Uris = { "spiffe://a/*" } } },

            },
        },
        TunnelRoutes =
        {
            new TunnelRouteOptions
            {
                Name = "orders-db",
                Host = "*.db.cluster-b.kedge",
                Ports = { 5432, 6432 },
                Backend = "web",
                Authorization = new RouteAuthorizationOptions { Permissions = { "db" }, ClientCertificate = new ClientCertificateRuleOptions { SubjectCommonNames = { "api" }, DnsNames = { "*.payments" }, Uris = { "spiffe://a/*" } } },
            },
        },
        HttpBackends =
        {
            new BackendOptions
            {
                Name = "web",
                Balancer = BalancerPolicy.RoundRobin,
                Tls = new BackendTlsOptions { InsecureSkipVerify = true, CaFile = "/ca.pem", ServerName = "backend.internal", ClientCertificateFile = "/client.pem", ClientKeyFile = "/client.key" },
                Static = new StaticResolverOptions { Addresses = { "10.0.0.1:8080", "[::1]:8080" } },
                Host = new HostResolverOptions { DnsName = "web.local", Port = 8080 },
                Srv = new SrvResolverOptions { DnsName = "_http._tcp.web.local", PortOverride = 8081 },
                K8s = new K8sResolverOptions { DnsPortName = "web.default:http" },
                Autogenerated = true,
            },
        },
        GrpcBackends =
        {
            new BackendOptions
            {
                Name = "users",
                Tls = new BackendTlsOptions { InsecureSkipVerify = true, CaFile = "/ca2.pem", ServerName = "grpc-backend.internal", ClientCertificateFile = "/c2.pem", ClientKeyFile = "/c2.key" },
                Static = new StaticResolverOptions { Addresses = { "10.0.0.2:8081" } },
                Host = new HostResolverOptions { DnsName = "users.local", Port = 8081 },
                Srv = new SrvResolverOptions { DnsName = "_grpc._tcp.users.local", PortOverride = 1 },
                K8s = new K8sResolverOptions { DnsPortName = "users:grpc" },
                Autogenerated = true,
            },
        },
    };

    private static void FindUnset(object value, string path, List<string> unset)
    {
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var propertyPath = $"{path}.{property.Name}";
            var propertyValue = property.GetValue(value);
            switch (propertyValue)
            {
                case null:
                    unset.Add(propertyPath);
                    break;
                case string text when text.Length == 0:
                    unset.Add(propertyPath);
                    break;
                case string:
                    break;
                case IEnumerable items:
                    var any = false;
                    foreach (var item in items)
                    {
                        any = true;
                        if (item is not null && item.GetType().Namespace == typeof(KedgeServerOptions).Namespace)
                        {
                            FindUnset(item, propertyPath + "[]", unset);
                        }
                    }

                    if (!any)
                    {
                        unset.Add(propertyPath);
                    }

                    break;
                case bool flag when !flag:
                    unset.Add(propertyPath);
                    break;
                case int number when number == 0:
                    unset.Add(propertyPath);
                    break;
                case Enum:
                    // The first value of single-value enums (BalancerPolicy) is all there is.
                    break;
                default:
                    if (propertyValue.GetType().Namespace == typeof(KedgeServerOptions).Namespace)
                    {
                        FindUnset(propertyValue, propertyPath, unset);
                    }

                    break;
            }
        }
    }
}
