// WordStrip: the grounding page's sentence view. The answer's words in a row that wraps, each on
// a background tinted by how much of its relevance lay on the image (strong for "red", faint for
// "the"); hovering a word or clicking it tells which (the map of that word is then shown).
#pragma once

#include <QStringList>
#include <QWidget>

#include <vector>

class WordStrip : public QWidget {
    Q_OBJECT
public:
    explicit WordStrip(QWidget *parent = nullptr);

    // tints: one per word in [0, 1]; tooltips: one per word (may be empty).
    void setWords(const QStringList &words, const std::vector<float> &tints, const QStringList &tooltips);
    void clear();
    int count() const { return static_cast<int>(m_words.size()); }
    QStringList words() const { return m_words; }
    void setCurrent(int word); // outlined; -1: none
    int current() const { return m_current; }
    int hovered() const { return m_hovered; }
    QRect wordRect(int word) const; // widget coordinates; null when there is no such word

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void wordHovered(int word); // -1: the pointer left the words
    void wordClicked(int word);

protected:
    bool event(QEvent *event) override; // tooltips
    void paintEvent(QPaintEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    std::vector<QRect> layoutWords(int width) const;
    int wordAt(const QPoint &pos) const;
    void setHovered(int word);

    QStringList m_words;
    std::vector<float> m_tints;
    QStringList m_tooltips;
    std::vector<QRect> m_rects; // for the current width
    int m_current = -1;
    int m_hovered = -1;
};
