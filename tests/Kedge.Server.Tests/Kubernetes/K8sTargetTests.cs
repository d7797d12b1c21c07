using Kedge.Server.Kubernetes;

namespace Kedge.Server.Tests.Kubernetes;

public sealed class K8sTargetTests
{
    [Theory]
    [InlineData("svc", "svc", "default", null, null)]
    [InlineData("svc.ns", "svc", "ns", null, null)]
    [InlineData("svc.ns.svc.local", "svc", "ns", null, null)]
    [InlineData("svc.ns.anything", "svc", "ns", null, null)]
    [InlineData("svc.ns:1010", "svc", "ns", null, 1010)]
    [InlineData("svc.ns:some-port", "svc", "ns", "some-port", null)]
    [InlineData("svc.ns:", "svc", "ns", null, null)]
    [InlineData("svc:http", "svc", "default", "http", null)]
    public void Parse_GoTargetForms_Parsed(string input, string service, string ns, string? portName, int? portNumber)
    {
        var target = K8sTarget.Parse(input);

        Assert.Equal(new K8sTarget(service, ns, portName, portNumber), target);
    }

    [Theory]
    [InlineData("", "Failed to parse targetEntry. Empty string")]
    [InlineData("http://svc.ns:80", "Bad targetEntry name. It cannot contain any schema. Expected format: <service>(|.<namespace>)(|.<suffix>)(|:<port_name>|:<port number>)")]
    [InlineData("svc.ns:80:90", "bad targetEntry - it contains multiple \":\" - expected format is <service>(|.<namespace>)(|.<suffix>)(|:<port_name>|:<port number>)")]
    public void Parse_BadTarget_GoErrorMessage(string input, string message)
    {
        var ex = Assert.Throws<FormatException>(() => K8sTarget.Parse(input));

        Assert.Equal(message, ex.Message);
    }
}
