using Kedge.Server.Authorization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kedge.Server.Tests.Authorization;

public class ReadPermissionsTests
{
    private static JsonWebToken Token(object? perms)
    {
        var claims = new Dictionary<string, object> { ["sub"] = "alice" };
        if (perms is not null)
        {
            claims["perms"] = perms;
        }

        var key = new SymmetricSecurityKey(new byte[32]);
        var jwt = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor { Claims = claims, SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256) });
        return new JsonWebToken(jwt);
    }

    [Fact]
    public void ReadPermissions_SpaceSeparatedString_Split()
    {
        Assert.Equal(["read", "ops"], KedgeAuthentication.ReadPermissions(Token("read  ops"), "perms"));
    }

    [Fact]
    public void ReadPermissions_Array_ElementsKeptWhole()
    {
        Assert.Equal(["not admin", "ops"], KedgeAuthentication.ReadPermissions(Token(new[] { "not admin", "ops" }), "perms"));
        Assert.Equal(["admin"], KedgeAuthentication.ReadPermissions(Token(new[] { "admin" }), "perms"));
    }

    [Fact]
    public void ReadPermissions_MissingOrWrongType_None()
    {
        Assert.Empty(KedgeAuthentication.ReadPermissions(Token(null), "perms"));
        Assert.Empty(KedgeAuthentication.ReadPermissions(Token(5), "perms"));
        Assert.Empty(KedgeAuthentication.ReadPermissions(Token(new Dictionary<string, object> { ["admin"] = true }), "perms"));
    }
}
