using Kedge.Server.Observability;
using Microsoft.Extensions.Configuration;

namespace Kedge.Server.Tests.Observability;

public sealed class KedgeObservabilitySetupTests
{
    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector:4317")]
    public void EndpointErrors_InvalidVariable_NamesTheVariableAndTheFix(string variable, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(variable, value)]).Build();

        var error = Assert.Single(KedgeObservabilitySetup.EndpointErrors(configuration));

        Assert.StartsWith($"{variable} (environment): '{value}' is not an http(s) URL; give the collector's OTLP endpoint, for example http://otel-collector:4317", error, StringComparison.Ordinal);
    }

    [Fact]
    public void EndpointErrors_ValidVariables_None()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
        [
            new("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            new("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://collector:4318/v1/traces"),
        ]).Build();

        Assert.Empty(KedgeObservabilitySetup.EndpointErrors(configuration));
    }

    [Theory]
    [InlineData("http://user:secret@collector:4317/", "http://collector:4317/")]
    [InlineData("http://collector:4317", "http://collector:4317")]
    [InlineData("user:secret@collector", "collector")]
    public void WithoutUserInfo_EndpointWithCredentials_LeftOut(string endpoint, string expected)
        => Assert.Equal(expected, KedgeObservabilitySetup.WithoutUserInfo(endpoint));
}
