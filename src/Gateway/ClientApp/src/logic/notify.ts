// Desktop notifications and a short sound, for conversations assigned to me and mentions (with permission).

export function canNotify(): boolean {
  return typeof Notification !== 'undefined';
}

export function needsPermission(): boolean {
  return canNotify() && Notification.permission === 'default';
}

export async function askPermission(): Promise<boolean> {
  if (!canNotify()) return false;
  return (await Notification.requestPermission()) === 'granted';
}

let audio: AudioContext | null = null;

function beep(): void {
  try {
    audio ??= new AudioContext();
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.12, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.35);
  } catch {
    // No sound where audio is unavailable.
  }
}

/** Body text is the outsider's, shown as text by the system (notifications never render HTML). */
export function notify(title: string, body: string, onClick: () => void): void {
  beep();
  if (!canNotify() || Notification.permission !== 'granted' || document.hasFocus()) return;
  const notification = new Notification(title, { body: body.slice(0, 140), tag: title });
  notification.onclick = () => {
    window.focus();
    onClick();
    notification.close();
  };
}
