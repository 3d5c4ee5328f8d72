using Crm.Connectors.Spool;
using Crm.Contracts;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Crm.Connectors.Tests.Spool;

public sealed class SqliteInboundSpoolTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("crm-spool-").FullName;

    private string SpoolFile => Path.Combine(directory, "spool.db");

    private SqliteInboundSpool Open() => new(SpoolFile, new SpoolOptions(), TimeProvider.System, NullLogger<SqliteInboundSpool>.Instance);

    private static InboundMessageReceived Inbound(string sid) => new(Channels.WhatsApp, sid, "+14155550100", "Alice", "+14155238886",
        "hello " + sid, [new MediaAttachment("https://media.example/1.jpg", "image/jpeg")], null, null,
        new Dictionary<string, string> { ["Extra"] = "kept" }, new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Accepted_messages_are_still_there_after_the_spool_is_reopened()
    {
        await using (var spool = Open())
        {
            await spool.AcceptAsync(Inbound("SM1"), CancellationToken.None);
            await spool.AcceptAsync(new MessageStatusReported(Guid.NewGuid(), Channels.WhatsApp, "SMout", MessageStatuses.Delivered, null, DateTimeOffset.UnixEpoch), CancellationToken.None);
        }

        await using var reopened = Open();
        var kept = await reopened.ReadAfterAsync(0, 10, CancellationToken.None);

        Assert.Equal(2, reopened.Depth);
        Assert.Equal([typeof(InboundMessageReceived), typeof(MessageStatusReported)], kept.Select(m => m.Type));
        var inbound = Assert.IsType<InboundMessageReceived>(kept[0].Message);
        Assert.Equivalent(Inbound("SM1"), inbound, strict: true);
    }

    [Fact]
    public async Task Concurrent_webhooks_are_all_kept_each_in_its_own_place()
    {
        await using var spool = Open();

        await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Task.Run(() => spool.AcceptAsync(Inbound($"SM{i}"), CancellationToken.None))));

        var kept = await spool.ReadAfterAsync(0, 1_000, CancellationToken.None);
        Assert.Equal(300, spool.Depth);
        Assert.Equal(300, kept.Select(m => m.Seq).Distinct().Count());
        Assert.Equal(300, kept.Select(m => ((InboundMessageReceived)m.Message).ChannelMessageId).Distinct().Count());
    }

    [Fact]
    public async Task A_reader_that_fell_far_behind_still_gets_every_row_once_in_order()
    {
        // Small commits, so far more rows are committed than the spool keeps in memory for its reader.
        var options = new SpoolOptions { MaxCommitBatch = 4 };
        await using var spool = new SqliteInboundSpool(SpoolFile, options, TimeProvider.System, NullLogger<SqliteInboundSpool>.Instance);
        for (var i = 0; i < 100; i++) await spool.AcceptAsync(Inbound($"SM{i}"), CancellationToken.None);

        var read = new List<SpooledMessage>();
        var late = false;
        for (long cursor = 0; ;)
        {
            var page = await spool.ReadAfterAsync(cursor, 7, CancellationToken.None);
            if (page.Count == 0) break;
            read.AddRange(page);
            cursor = page[^1].Seq;
            if (read.Count >= 50 && !late)
            {
                // Committed while the reader is still behind: it comes after the older rows, not before.
                await spool.AcceptAsync(Inbound("SMlate"), CancellationToken.None);
                late = true;
            }
        }

        Assert.Equal([.. Enumerable.Range(0, 100).Select(i => $"SM{i}"), "SMlate"], read.Select(m => ((InboundMessageReceived)m.Message).ChannelMessageId));
    }

    [Fact]
    public async Task Removing_forgets_only_the_named_messages()
    {
        await using var spool = Open();
        foreach (var sid in new[] { "SM1", "SM2", "SM3" }) await spool.AcceptAsync(Inbound(sid), CancellationToken.None);
        var kept = await spool.ReadAfterAsync(0, 10, CancellationToken.None);

        await spool.RemoveAsync([kept[0].Seq, kept[2].Seq], CancellationToken.None);

        Assert.Equal(1, spool.Depth);
        Assert.Equal(["SM2"], (await spool.ReadAfterAsync(0, 10, CancellationToken.None)).Select(m => ((InboundMessageReceived)m.Message).ChannelMessageId));
        Assert.Equal(["SM2"], (await spool.ReadAsync([kept[0].Seq, kept[1].Seq], CancellationToken.None)).Select(m => ((InboundMessageReceived)m.Message).ChannelMessageId));
    }

    [Fact]
    public async Task Reading_after_a_place_returns_only_newer_messages_in_order()
    {
        await using var spool = Open();
        foreach (var sid in new[] { "SM1", "SM2", "SM3", "SM4" }) await spool.AcceptAsync(Inbound(sid), CancellationToken.None);
        var first = await spool.ReadAfterAsync(0, 2, CancellationToken.None);

        var rest = await spool.ReadAfterAsync(first[^1].Seq, 10, CancellationToken.None);

        Assert.Equal(["SM3", "SM4"], rest.Select(m => ((InboundMessageReceived)m.Message).ChannelMessageId));
    }

    [Fact]
    public async Task A_message_the_spool_does_not_carry_is_refused()
    {
        await using var spool = Open();

        await Assert.ThrowsAsync<ArgumentException>(() => spool.AcceptAsync(new SendOutboundMessage(Guid.NewGuid(), Guid.NewGuid(),
            Channels.WhatsApp, "+1", "hi", null, 1, DateTimeOffset.UtcNow), CancellationToken.None));
        Assert.Equal(0, spool.Depth);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}
