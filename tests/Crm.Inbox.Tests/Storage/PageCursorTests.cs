using Crm.Inbox.Storage;

namespace Crm.Inbox.Tests.Storage;

public sealed class PageCursorTests
{
    [Fact]
    public void A_cursor_reads_back_as_the_time_and_id_it_was_made_from()
    {
        var cursor = new PageCursor(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero).AddTicks(7), Guid.NewGuid());

        var encoded = cursor.Encode();

        Assert.True(PageCursor.TryParse(encoded, out var parsed));
        Assert.Equal(cursor, parsed);
        Assert.Matches("^[A-Za-z0-9_-]+$", encoded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-cursor")]
    [InlineData("6f1d2a4e-0000-0000-0000-000000000002")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!")]
    [InlineData("__________________________________")]
    [InlineData("_____________________w__________")]
    public void Anything_else_is_not_a_cursor(string text)
    {
        Assert.False(PageCursor.TryParse(text, out _));
    }
}
