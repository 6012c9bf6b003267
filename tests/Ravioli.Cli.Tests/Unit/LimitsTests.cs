using Ravioli.Cli.Commands;

namespace Ravioli.Cli.Tests.Unit;

public sealed class LimitsTests
{
    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("512M", 512L)]
    [InlineData("512mb", 512L)]
    [InlineData("2G", 2048L)]
    [InlineData("2GB", 2048L)]
    [InlineData("1T", 1048576L)]
    [InlineData("0", 0L)]
    public void ParseMemory_SizesBecomeMegabytes(string text, long megabytes)
        => Assert.Equal(megabytes, Limits.ParseMemory(text, "-m"));

    [Theory]
    [InlineData("-1")]
    [InlineData("unlimited")]
    [InlineData("Unlimited")]
    public void ParseMemory_UnlimitedIsNull(string text) => Assert.Null(Limits.ParseMemory(text, "-m"));

    [Theory]
    [InlineData("")]
    [InlineData("G")]
    [InlineData("12X")]
    [InlineData("-5")]
    [InlineData("1.5G")]
    [InlineData("99999999999999999999G")]
    public void ParseMemory_Garbage_FailsNamingTheOption(string text)
    {
        var error = Assert.Throws<CliException>(() => Limits.ParseMemory(text, "--total-memory"));
        Assert.Contains("--total-memory", error.Message);
    }

    [Fact]
    public void ParseCount_NumbersAndUnlimited()
    {
        Assert.Equal(7L, Limits.ParseCount("7", "-r"));
        Assert.Null(Limits.ParseCount("-1", "-r"));
        Assert.Throws<CliException>(() => Limits.ParseCount("-2", "-r"));
    }

    [Theory]
    [InlineData(null, "unlimited")]
    [InlineData(512L, "512M")]
    [InlineData(1024L, "1G")]
    [InlineData(1536L, "1536M")]
    [InlineData(0L, "0M")]
    public void FormatMemory_UsesGigabytesWhenWhole(long? megabytes, string text)
        => Assert.Equal(text, Limits.FormatMemory(megabytes));
}
