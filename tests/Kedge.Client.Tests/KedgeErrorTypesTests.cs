using System.Net;
using System.Reflection;
using Grpc.Core;
using Kedge.Client.Http;
using Kedge.Common;

namespace Kedge.Client.Tests;

public class KedgeErrorTypesTests
{
    [Fact]
    public void Constants_AreTheSharedVocabularysNames()
    {
        var constants = typeof(KedgeErrorTypes).GetFields(BindingFlags.Public | BindingFlags.Static).ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);
        var vocabulary = typeof(KedgeErrorKind).GetProperties(BindingFlags.Public | BindingFlags.Static)
            .Where(p => p.PropertyType == typeof(KedgeErrorKind))
            .ToDictionary(p => p.Name, p => ((KedgeErrorKind)p.GetValue(null)!).Name);

        Assert.Equal(vocabulary.OrderBy(p => p.Key), constants.OrderBy(p => p.Key));
    }

    [Theory]
    [InlineData(KedgeErrorTypes.NoRoute, HttpStatusCode.BadGateway, StatusCode.Unimplemented)]
    [InlineData(KedgeErrorTypes.UnknownRouteError, HttpStatusCode.BadRequest, StatusCode.InvalidArgument)]
    [InlineData(KedgeErrorTypes.UnknownRouteError, HttpStatusCode.BadGateway, StatusCode.NotFound)]
    [InlineData(KedgeErrorTypes.BackendTransportClosed, HttpStatusCode.BadGateway, StatusCode.Unavailable)]
    [InlineData("a-type-kedge-does-not-have", HttpStatusCode.NotFound, StatusCode.Unimplemented)]
    [InlineData(null, HttpStatusCode.BadRequest, StatusCode.Internal)]
    public void GrpcStatusFor_TypeAndStatus_VocabularyThenGrpcsHttpMapping(string? type, HttpStatusCode status, StatusCode expected)
        => Assert.Equal(expected, KedgeHttpMessageHandler.GrpcStatusFor(new KedgeError("m", type, status)));
}
