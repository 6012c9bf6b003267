using System.Text;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Tests.Unit;

public sealed class JwtTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ExpiresAt_ReadsExpFromThePayload()
        => Assert.Equal(Now, Jwt.ExpiresAt(Token($$"""{"exp": {{Now.ToUnixTimeSeconds()}}}""")));

    [Fact]
    public void UserName_ReadsUserNameClaim()
        => Assert.Equal("alice", Jwt.UserName(Token("""{"user_name": "alice", "exp": 1}""")));

    [Theory]
    [InlineData(-10, true)]
    [InlineData(29, true)]
    [InlineData(30, true)]
    [InlineData(31, false)]
    [InlineData(3600, false)]
    public void ExpiresWithin_ThirtySecondMargin(int secondsLeft, bool expiring)
    {
        var token = Token($$"""{"exp": {{Now.AddSeconds(secondsLeft).ToUnixTimeSeconds()}}}""");
        Assert.Equal(expiring, Jwt.ExpiresWithin(token, TimeSpan.FromSeconds(30), Now));
    }

    [Theory]
    [InlineData("opaque-token")]
    [InlineData("a.!!!.c")]
    [InlineData("a.bm90IGpzb24.c")]
    public void ExpiresWithin_UnreadableToken_IsLeftToTheServer(string token)
        => Assert.False(Jwt.ExpiresWithin(token, TimeSpan.FromSeconds(30), Now));

    private static string Token(string payload)
    {
        static string Encode(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{Encode("""{"alg":"RS256"}""")}.{Encode(payload)}.signature";
    }
}
