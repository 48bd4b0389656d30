#!/bin/sh
# deploy/prompts/generate.sh [OUT_DIR] - make the default prompt set for mediad:
# spoken prompts in English (en) and Mandarin Chinese (cmn, also reachable as zh) with
# espeak-ng, converted by sox to 8 kHz mono 16-bit WAV, plus generated hold music and
# silences. Files that already exist are kept (so a hand-recorded prompt put in their
# place survives a re-run); delete a file to have it made again. The list and the names
# are documented in deploy/prompts/README.md. OUT_DIR defaults to $CC_VAR_DIR/prompts, else
# var/prompts. Needs espeak-ng and sox (deploy/install-deps.sh installs them).
set -eu

OUT=${1:-${CC_VAR_DIR:-var}/prompts}
for tool in espeak-ng sox; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "generate.sh: $tool not found (apt-get install espeak-ng sox)" >&2
        exit 1
    }
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cc-prompts.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

# say LANG VOICE SPEED NAME TEXT: speak TEXT into OUT/LANG/NAME.wav unless it exists
say() {
    lang=$1 voice=$2 speed=$3 name=$4 text=$5
    dest="$OUT/$lang/$name.wav"
    [ -e "$dest" ] && return 0
    mkdir -p "$(dirname "$dest")"
    raw="$TMP/$lang-$(echo "$name" | tr / _).raw.wav"
    espeak-ng -v "$voice" -s "$speed" -w "$raw" "$text"
    # 8 kHz mono 16-bit, peaks at -3 dBFS; written beside the target, then renamed, so a
    # reader never sees half a file
    sox -q "$raw" -r 8000 -c 1 -b 16 -e signed-integer "$dest.part.wav" norm -3
    mv "$dest.part.wav" "$dest"
    rm -f "$raw"
}

# alias LANG NAME TARGET: OUT/LANG/NAME.wav -> TARGET.wav (relative symlink), unless present
alias_to() {
    lang=$1 name=$2 target=$3
    dest="$OUT/$lang/$name.wav"
    [ -e "$dest" ] || [ -L "$dest" ] && return 0
    mkdir -p "$(dirname "$dest")"
    ln -s "$target.wav" "$dest"
}

english() {
    s() { say en en-us 150 "$1" "$2"; }
    s greeting "Welcome to the contact center."
    s main_menu "For sales, press 1. For support, press 2. For the operator, press 0."
    s invalid "That is not a valid choice."
    s timeout "We did not receive your choice."
    s closed "We are closed. Our opening hours are Monday to Friday, 9 to 5."
    s holiday_closed "We are closed today for a public holiday."
    s please_hold "Please hold while we connect your call."
    s goodbye "Thank you for calling. Goodbye."
    s survey "Please rate the call from 1 to 5."
    s thanks "Thank you."
    s enter_account "Please enter your account number, followed by the hash key."
    s you_entered "You entered"
    s queue/you_are_number "You are number"
    s queue/in_queue "in the queue."
    s queue/expected_wait "Your expected wait is about"
    s queue/minutes "minutes."
    s queue/minute "minute."
    s queue/seconds "seconds."
    s queue/callback_press "To be called back instead of waiting, press"
    s dialer/abandoned "Sorry, we called you but nobody is free to speak with you right now. We will call you again later. Goodbye."
    s dialer/machine "Hello, we called to speak with you and will try again later. Thank you, goodbye."
    s digits/star "star"
    s digits/hash "hash"
    set -- zero one two three four five six seven eight nine
    d=0
    for word in "$@"; do
        s "digits/$d" "$word"
        d=$((d + 1))
    done
    set -- zero one two three four five six seven eight nine ten eleven twelve thirteen \
        fourteen fifteen sixteen seventeen eighteen nineteen
    n=0
    for word in "$@"; do
        s "numbers/$n" "$word"
        n=$((n + 1))
    done
    set -- 20 twenty 30 thirty 40 forty 50 fifty 60 sixty 70 seventy 80 eighty 90 ninety
    while [ $# -gt 0 ]; do
        s "numbers/$1" "$2"
        shift 2
    done
    s numbers/hundred "hundred"
    s numbers/thousand "thousand"
    s numbers/million "million"
    # conference rooms (ivrd/conf_room.c)
    s conf/enter_pin "Please enter the conference PIN, followed by the hash key."
    s conf/wrong_pin "That PIN is not valid."
    s conf/first "You are the first participant."
    s conf/wait_moderator "The conference will begin when the moderator joins. Please wait."
    s conf/locked "This conference is locked."
    s conf/full "This conference is full."
    s conf/muted "You are muted."
    s conf/unmuted "You are no longer muted."
    s conf/room_locked "The conference is now locked."
    s conf/room_unlocked "The conference is now unlocked."
    s conf/all_muted "All other participants are muted."
    s conf/all_unmuted "All participants may speak again."
    # screening and calling permissions (sipproxy/sp_screen.c)
    s call_blocked "The person you are calling does not accept calls from your number."
    s not_permitted "You are not permitted to call this number."
    # voicemail (ivrd/vm_core.c)
    s vm/person_at "The person at extension"
    s vm/is_unavailable "is not available."
    s vm/is_busy "is on another call."
    s vm/nobody_available "Nobody is available to take your call."
    s vm/leave_message "Please leave a message after the tone. Press hash when you are done."
    s vm/message_saved "Your message has been saved."
    s vm/too_short "Your message was too short and has not been kept."
    # the mailbox menu (ivrd/vm_menu.c: *97, *98)
    s vm/enter_mailbox "Please enter your mailbox number, followed by the hash key."
    s vm/enter_pin "Please enter your PIN, followed by the hash key."
    s vm/wrong_pin "That PIN is not valid."
    s vm/no_mailbox "There is no mailbox here."
    s vm/you_have "You have"
    s vm/new_messages "new messages"
    s vm/and "and"
    s vm/saved_messages "saved messages."
    s vm/main_menu "To listen to your messages, press 1. To record your greetings, press 3. To change your PIN, press 4. To hang up, press star."
    s vm/message "Message."
    s vm/message_menu "To hear it again, press 1. To save it, press 2. To delete it, press 3. For the next message, press 6. For the main menu, press star."
    s vm/saved "Message saved."
    s vm/deleted "Message deleted."
    s vm/no_messages "You have no messages."
    s vm/no_more_messages "There are no more messages."
    s vm/greeting_menu "To record the greeting for when you are not available, press 1. For when you are busy, press 2. To record your name, press 3. For the main menu, press star."
    s vm/record_greeting "Record after the tone, then press hash."
    s vm/greeting_saved "Your greeting has been saved."
    s vm/enter_new_pin "Please enter your new PIN of 4 to 12 digits, followed by the hash key."
    s vm/pin_changed "Your PIN has been changed."
    s vm/pin_invalid "A PIN must have 4 to 12 digits. Your PIN has not been changed."
}

mandarin() {
    s() { say cmn cmn 140 "$1" "$2"; }
    s greeting "欢迎致电客户服务中心。"
    s main_menu "销售请按1，技术支持请按2，人工服务请按0。"
    s invalid "您的选择无效。"
    s timeout "我们没有收到您的选择。"
    s closed "我们现在已经下班。我们的营业时间是星期一到星期五，上午九点到下午五点。"
    s holiday_closed "今天是公众假期，我们暂停营业。"
    s please_hold "请稍候，我们正在为您转接。"
    s goodbye "感谢您的来电，再见。"
    s survey "请为本次通话评分，从1分到5分。"
    s thanks "谢谢。"
    s enter_account "请输入您的账号，以井号键结束。"
    s you_entered "您输入的是"
    s call_blocked "您呼叫的用户不接受来自您号码的呼叫。"
    s not_permitted "您无权拨打此号码。"
    # Mandarin says "you are in the queue at number N": the pieces keep the English order
    s queue/you_are_number "您在队列中排第"
    s queue/in_queue "位。"
    s queue/expected_wait "预计等待时间大约"
    s queue/minutes "分钟。"
    s queue/minute "分钟。"
    s queue/seconds "秒。"
    s queue/callback_press "不想等候、希望我们回电，请按"
    s dialer/abandoned "抱歉，我们给您来电，但现在没有人员可以接听。我们稍后会再打给您。再见。"
    s dialer/machine "您好，我们来电想与您通话，稍后会再打给您。谢谢，再见。"
    s digits/star "星号"
    s digits/hash "井号"
    set -- 零 一 二 三 四 五 六 七 八 九 十
    n=0
    for word in "$@"; do
        [ $n -le 9 ] && s "digits/$n" "$word"
        s "numbers/$n" "$word"
        n=$((n + 1))
    done
    s numbers/hundred "百"
    s numbers/thousand "千"
    s numbers/wan "万"
    s numbers/yi "亿"
    s vm/person_at "您拨打的分机"
    s vm/is_unavailable "暂时无人接听。"
    s vm/is_busy "正在通话中。"
    s vm/nobody_available "现在没有人可以接听您的电话。"
    s vm/leave_message "请在提示音后留言，结束请按井号键。"
    s vm/message_saved "您的留言已保存。"
    s vm/too_short "您的留言太短，没有保存。"
    # conference rooms
    s conf/enter_pin "请输入会议密码，以井号键结束。"
    s conf/wrong_pin "密码不正确。"
    s conf/first "您是第一位与会者。"
    s conf/wait_moderator "主持人加入后会议将开始，请稍候。"
    s conf/locked "此会议已锁定。"
    s conf/full "此会议人数已满。"
    s conf/muted "您已被静音。"
    s conf/unmuted "您已取消静音。"
    s conf/room_locked "会议现已锁定。"
    s conf/room_unlocked "会议现已解锁。"
    s conf/all_muted "其他与会者均已静音。"
    s conf/all_unmuted "所有与会者均可发言。"
    # the mailbox menu (*97, *98)
    s vm/enter_mailbox "请输入您的信箱号码，以井号键结束。"
    s vm/enter_pin "请输入您的密码，以井号键结束。"
    s vm/wrong_pin "密码不正确。"
    s vm/no_mailbox "这里没有信箱。"
    s vm/you_have "您有"
    s vm/new_messages "条新留言"
    s vm/and "和"
    s vm/saved_messages "条已保存的留言。"
    s vm/main_menu "收听留言请按1，录制问候语请按3，修改密码请按4，挂机请按星号键。"
    s vm/message "留言。"
    s vm/message_menu "重听请按1，保存请按2，删除请按3，下一条请按6，返回主菜单请按星号键。"
    s vm/saved "留言已保存。"
    s vm/deleted "留言已删除。"
    s vm/no_messages "您没有留言。"
    s vm/no_more_messages "没有更多留言了。"
    s vm/greeting_menu "录制无人接听时的问候语请按1，录制忙线时的问候语请按2，录制您的姓名请按3，返回主菜单请按星号键。"
    s vm/record_greeting "请在提示音后录音，结束请按井号键。"
    s vm/greeting_saved "您的问候语已保存。"
    s vm/enter_new_pin "请输入四到十二位的新密码，以井号键结束。"
    s vm/pin_changed "您的密码已修改。"
    s vm/pin_invalid "密码必须是四到十二位数字，您的密码没有修改。"
}

# Names ivrd's flows and number reader use (deploy/ivr/*.json, ivrflow/ivr_say.c), as links
# to the files above, so one file serves both names (mediad loads it once).
aliases() {
    lang=$1
    alias_to "$lang" welcome greeting
    alias_to "$lang" main-menu main_menu
    alias_to "$lang" invalid-choice invalid
    alias_to "$lang" no-input timeout
    alias_to "$lang" please-hold please_hold
    alias_to "$lang" holiday-closed holiday_closed
    alias_to "$lang" survey-question survey
    alias_to "$lang" survey-thanks thanks
    alias_to "$lang" enter-account enter_account
    alias_to "$lang" you-entered you_entered
    for d in 0 1 2 3 4 5 6 7 8 9; do
        alias_to "$lang" "digit-$d" "digits/$d"
    done
    for f in "$OUT/$lang"/numbers/*.wav; do
        [ -e "$f" ] || continue
        n=$(basename "$f" .wav)
        alias_to "$lang" "num-$n" "numbers/$n"
    done
}

# Language-neutral files: OUT/music/default.wav and OUT/silence/*.wav.
music() {
    dest="$OUT/music/default.wav"
    [ -e "$dest" ] && return 0
    mkdir -p "$OUT/music"
    # a slow pentatonic tune (semitones from A4) on a plucked string over a soft drone:
    # 60 notes of half a second = 30 s, looping cleanly back to its first bar
    tune="-9 -5 -2 0 -2 -5 -9 -7 -5 -2 -5 -7 -9 -12 -9 -5
          -2 0 3 0 -2 -5 -2 0 -2 -5 -9 -7 -5 -7 -9 -12
          -9 -5 -2 0 3 5 3 0 -2 0 -2 -5 -9 -7 -5 -2
          -5 -7 -9 -12 -14 -12 -9 -5 -9 -12 -9 -12"
    i=0
    list=""
    for st in $tune; do
        note="$TMP/note-$(printf %03d $i).wav"
        sox -q -n -r 8000 -c 1 -b 16 "$note" synth 0.5 pluck %"$st" fade 0.01 0.5 0.25
        list="$list $note"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    sox -q $list "$TMP/melody.wav"
    sox -q -n -r 8000 -c 1 -b 16 "$TMP/drone.wav" synth 30 sine %-21 synth 30 sine mix %-14 \
        tremolo 0.2 40 vol 0.25 fade 2 30 2
    sox -q -m -v 0.8 "$TMP/melody.wav" -v 0.5 "$TMP/drone.wav" -r 8000 -c 1 -b 16 \
        -e signed-integer "$dest.part.wav" norm -6
    mv "$dest.part.wav" "$dest"
}

# OUT/tones/join.wav: what a caller hears on entering a conference room, a short rising
# chirp (1200-1800 Hz, 250 ms); OUT/tones/beep.wav: the voicemail beep (1000 Hz, 400 ms)
tones() {
    mkdir -p "$OUT/tones"
    dest="$OUT/tones/join.wav"
    if [ ! -e "$dest" ]; then
        sox -q -n -r 8000 -c 1 -b 16 -e signed-integer "$dest.part.wav" \
            synth 0.25 sine 1200:1800 fade 0.01 0.25 0.05 vol 0.5
        mv "$dest.part.wav" "$dest"
    fi
    dest="$OUT/tones/beep.wav"
    if [ ! -e "$dest" ]; then
        sox -q -n -r 8000 -c 1 -b 16 -e signed-integer "$dest.part.wav" \
            synth 0.4 sine 1000 fade 0.01 0.4 0.02 vol 0.5
        mv "$dest.part.wav" "$dest"
    fi
}

silences() {
    mkdir -p "$OUT/silence"
    for ms in 250 500 1000 2000; do
        dest="$OUT/silence/$ms.wav"
        [ -e "$dest" ] && continue
        sox -q -n -r 8000 -c 1 -b 16 -e signed-integer "$dest.part.wav" \
            trim 0 "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
        mv "$dest.part.wav" "$dest"
        done
}

start=$(date +%s)
# the two languages in parallel (each is ~70 espeak-ng + sox runs)
english &
en_pid=$!
mandarin &
cmn_pid=$!
music
tones
silences
wait "$en_pid"
wait "$cmn_pid"
aliases en
aliases cmn
[ -e "$OUT/zh" ] || [ -L "$OUT/zh" ] || ln -s cmn "$OUT/zh"
total=$(find "$OUT" -name '*.wav' -type f | wc -l)
echo "prompts: $total files in $OUT ($(($(date +%s) - start)) s)"
