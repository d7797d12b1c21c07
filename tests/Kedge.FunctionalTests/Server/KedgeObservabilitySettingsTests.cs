namespace Kedge.FunctionalTests.Server;

/// <summary>The logging and tracing settings as the command line takes them.</summary>
public sealed class KedgeObservabilitySettingsTests
{
    [Theory]
    [InlineData("--log_format=xml", "invalid value \"xml\" for flag --log_format: use one of text, json")]
    [InlineData("--otlp_endpoint=collector:4317", "--otlp_endpoint: 'collector:4317' is not an http(s) URL; give the collector's OTLP endpoint, for example http://otel-collector:4317.")]
    public async Task CommandLine_BadLoggingOrTracingSetting_RefusedNamingFlagAndFix(string flag, string message)
    {
        var (code, _, error) = await KedgeCommandLine.RunAsync(flag, "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0",
            """--kedge_config_director_config={"grpc":{},"http":{}}""", """--kedge_config_backendpool_config={"grpc":{},"http":{}}""");

        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrintConfig_LoggingAndTracingSettings_ShownWithTheirFlags()
    {
        var (code, output, error) = await KedgeCommandLine.RunAsync("--print-config", "--log_format=json", "--access_log", "--otlp_endpoint=http://collector:4317",
            "--server_http_tls_port=0", "--server_grpc_tls_port=0", """--kedge_config_director_config={"grpc":{},"http":{}}""", """--kedge_config_backendpool_config={"grpc":{},"http":{}}""");

        Assert.Equal(0, code);
        Assert.Contains("\"LogFormat\": \"json\"", output, StringComparison.Ordinal);
        Assert.Contains("\"AccessLog\": true", output, StringComparison.Ordinal);
        Assert.Contains("\"OtlpEndpoint\": \"http://collector:4317\"", output, StringComparison.Ordinal);
        Assert.Contains("--otlp_endpoint", error, StringComparison.Ordinal);
    }
}
