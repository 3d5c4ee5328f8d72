import { channelKey, channelName } from '../logic/channels';

/** The channel by name with a small mark in its colour (the name is the text: the mark is decoration). */
export function ChannelBadge({ channel }: { channel: string }) {
  return <span className={`channel-badge channel-${channelKey(channel)}`}><span className="channel-mark" aria-hidden="true" />{channelName(channel)}</span>;
}
