using Kedge.Testing;

namespace Kedge.FunctionalTests.Server;

/// <summary>The <c>GrpcWeb</c> flag of gRPC routes in kedge's native configuration, as a user writes and checks it.</summary>
public sealed class GrpcWebConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task PrintConfig_GrpcRouteWithGrpcWeb_KeptInTheEffectiveConfiguration()
    {
        var native = Write("""{"Kedge":{"GrpcRoutes":[{"Backend":"greeter","AuthorityHost":"web.kedge","GrpcWeb":true}],"GrpcBackends":[{"Name":"greeter","Static":{"Addresses":["127.0.0.1:1"]}}]}}""");

        var (code, output, error) = await KedgeCommandLine.RunAsync($"--config={native}", "--print-config", "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0");

        Assert.True(code == 0, error);
        Assert.Matches("\"GrpcWeb\":\\s*true", output);
    }

    [Fact]
    public async Task Run_GrpcWebNotABoolean_ErrorNamesFileAndJsonPath()
    {
        var native = Write("""{"Kedge":{"GrpcRoutes":[{"Backend":"greeter","GrpcWeb":"yes"}],"GrpcBackends":[{"Name":"greeter","Static":{"Addresses":["127.0.0.1:1"]}}]}}""");

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--config={native}", "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0");

        Assert.Equal(2, code);
        Assert.Contains($"{native}: $.Kedge.GrpcRoutes[0].GrpcWeb: 'yes' is not true or false", error, StringComparison.Ordinal);
    }

    private string Write(string json)
    {
        var path = _dir.Combine("kedge.json");
        File.WriteAllText(path, json);
        return path;
    }
}
